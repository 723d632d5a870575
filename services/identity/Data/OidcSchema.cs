using Microsoft.EntityFrameworkCore;
using Npgsql;
using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Identity.Data;

/// <summary>
/// OpenIddict's EF Core tables (schema <c>oidc</c>) as versioned steps. Step 1 is the script EF Core generates from
/// <see cref="OidcDbContext"/>'s model, run inside the migration's transaction; an OpenIddict upgrade that changes the
/// model gets a step of its own.
/// </summary>
internal static class OidcSchema
{
    public static readonly Schema Definition = new("oidc",
        new SchemaStep(1, "openiddict 7 stores", CreateAsync),
        SchemaStep.Sql(2, "application change notifications", ApplicationChangeNotifications));

    /// <summary>
    /// Every update or deletion of an application, whoever makes it, NOTIFYs its client id at commit, so that every
    /// replica drops its cached copy (<see cref="Oidc.ClientCache"/>); a rolled-back change notifies nobody.
    /// </summary>
    private const string ApplicationChangeNotifications =
        $$"""
        CREATE OR REPLACE FUNCTION oidc.notify_application_changed() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            PERFORM pg_notify('{{Oidc.ClientCache.Channel}}', OLD."ClientId");
            IF TG_OP = 'UPDATE' AND NEW."ClientId" IS DISTINCT FROM OLD."ClientId" THEN
                PERFORM pg_notify('{{Oidc.ClientCache.Channel}}', NEW."ClientId");
            END IF;
            RETURN NULL;
        END
        $$;
        CREATE TRIGGER application_changed AFTER UPDATE OR DELETE ON oidc."OpenIddictApplications"
            FOR EACH ROW EXECUTE FUNCTION oidc.notify_application_changed();
        """;

    private static async Task CreateAsync(SchemaStepContext context)
    {
        // A database made before steps were versioned already has the tables.
        await using var exists = new NpgsqlCommand("SELECT to_regclass('oidc.\"OpenIddictApplications\"') IS NOT NULL", context.Connection, context.Transaction);
        if ((bool)(await exists.ExecuteScalarAsync(context.CancellationToken))!) return;

        await using var scope = context.Services.CreateAsyncScope();
        var script = scope.ServiceProvider.GetRequiredService<OidcDbContext>().Database.GenerateCreateScript();
        await using var create = new NpgsqlCommand("CREATE SCHEMA IF NOT EXISTS oidc;\n" + script, context.Connection, context.Transaction);
        await create.ExecuteNonQueryAsync(context.CancellationToken);
    }
}
