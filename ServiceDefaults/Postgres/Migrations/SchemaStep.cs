using Npgsql;

namespace Platform.ServiceDefaults.Postgres.Migrations;

/// <summary>
/// One versioned change to a database: applied once, in order, inside the migration's transaction, and recorded in
/// <c>schema_history</c>. A step that has been released is never edited: a change is a new step.
/// </summary>
public sealed record SchemaStep(int Version, string Name, Func<SchemaStepContext, Task> Apply)
{
    /// <summary>A step that runs SQL (several statements are allowed).</summary>
    public static SchemaStep Sql(int version, string name, string sql) =>
        new(version, name, async context =>
        {
            await using var command = new NpgsqlCommand(sql, context.Connection, context.Transaction);
            await command.ExecuteNonQueryAsync(context.CancellationToken);
        });
}

/// <summary>What a step runs with: the migration's connection and transaction, and the service's services (for EF Core).</summary>
public sealed record SchemaStepContext(
    NpgsqlConnection Connection, NpgsqlTransaction Transaction, IServiceProvider Services, CancellationToken CancellationToken);
