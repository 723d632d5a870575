using Npgsql;

namespace Platform.ServiceDefaults.Postgres.Migrations;

/// <summary>
/// Brings a database up to a <see cref="Schema"/>: under an advisory lock (replicas starting together take turns),
/// applies every step not yet in <c>schema_history</c>, in order, in one transaction with their history rows.
/// Refuses a database that is ahead of this build or whose history names a step differently (an edited release).
/// </summary>
public static class SchemaMigrations
{
    private const string HistoryTable = """
        CREATE TABLE IF NOT EXISTS schema_history (
            component  text        NOT NULL,
            version    integer     NOT NULL,
            name       text        NOT NULL,
            applied_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (component, version)
        )
        """;

    /// <summary>Applies what is missing; returns the versions applied now.</summary>
    public static async Task<IReadOnlyList<int>> ApplyAsync(
        NpgsqlDataSource dataSource, Schema schema, IServiceProvider services, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await ExecuteAsync(connection, transaction, "SELECT pg_advisory_xact_lock(hashtext('platform.schema'))", cancellationToken);
        await ExecuteAsync(connection, transaction, HistoryTable, cancellationToken);

        var applied = await HistoryAsync(connection, transaction, schema.Component, cancellationToken);
        Check(schema, applied);
        var now = new List<int>();
        foreach (var step in schema.Steps.Where(s => !applied.ContainsKey(s.Version)))
        {
            await step.Apply(new SchemaStepContext(connection, transaction, services, cancellationToken));
            await using var record = new NpgsqlCommand(
                "INSERT INTO schema_history (component, version, name) VALUES ($1, $2, $3)", connection, transaction)
            {
                Parameters = { new() { Value = schema.Component }, new() { Value = step.Version }, new() { Value = step.Name } },
            };
            await record.ExecuteNonQueryAsync(cancellationToken);
            now.Add(step.Version);
        }

        await transaction.CommitAsync(cancellationToken);
        return now;
    }

    /// <summary>The version the database is at for <paramref name="component"/> (0: none applied).</summary>
    public static async Task<int> CurrentVersionAsync(NpgsqlDataSource dataSource, string component, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT to_regclass('schema_history') IS NOT NULL", connection);
        if (!(bool)(await exists.ExecuteScalarAsync(cancellationToken))!) return 0;
        var history = await HistoryAsync(connection, null, component, cancellationToken);
        return history.Count == 0 ? 0 : history.Keys.Max();
    }

    private static void Check(Schema schema, Dictionary<int, string> applied)
    {
        foreach (var (version, name) in applied)
        {
            if (version > schema.LatestVersion)
            {
                throw new SchemaMismatchException(
                    $"The database's '{schema.Component}' tables are at version {applied.Keys.Max()}, newer than this build knows ({schema.LatestVersion}). Run a newer build.");
            }

            if (schema.Steps[version - 1].Name != name)
            {
                throw new SchemaMismatchException(
                    $"The database's '{schema.Component}' step {version} is '{name}', this build's is '{schema.Steps[version - 1].Name}': a released step was changed.");
            }
        }
    }

    private static async Task<Dictionary<int, string>> HistoryAsync(
        NpgsqlConnection connection, NpgsqlTransaction? transaction, string component, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("SELECT version, name FROM schema_history WHERE component = $1", connection, transaction)
        {
            Parameters = { new() { Value = component } },
        };
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var history = new Dictionary<int, string>();
        while (await reader.ReadAsync(cancellationToken)) history[reader.GetInt32(0)] = reader.GetString(1);
        return history;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}

/// <summary>The database's schema is not one this build can run on.</summary>
public sealed class SchemaMismatchException(string message) : Exception(message);
