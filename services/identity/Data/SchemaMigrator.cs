using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Storage;
using Npgsql;
using Platform.Messaging;

namespace Platform.Identity.Data;

/// <summary>
/// Applies the schema at start-up when <c>Migrations:ApplyOnStartup</c> is true (development, tests); production runs
/// it as a deliberate step. Registered before the outbox relay and the signing key ring, which need the tables.
/// </summary>
internal sealed class SchemaMigrator(NpgsqlDataSource dataSource, IServiceProvider services, IConfiguration configuration) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!configuration.GetValue<bool>("Migrations:ApplyOnStartup")) return;
        await IdentitySchema.ApplyAsync(dataSource, cancellationToken);
        await MessagingSchema.ApplyAsync(dataSource, cancellationToken);

        await using var scope = services.CreateAsyncScope();
        var context = scope.ServiceProvider.GetRequiredService<OidcDbContext>();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('oidc.\"OpenIddictApplications\"') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!)
        {
            await using var create = new NpgsqlCommand("CREATE SCHEMA IF NOT EXISTS oidc", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            await context.GetService<IRelationalDatabaseCreator>().CreateTablesAsync(cancellationToken);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
