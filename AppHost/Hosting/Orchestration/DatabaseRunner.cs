using Npgsql;

namespace Platform.Hosting.Orchestration;

/// <summary>Creates a service's database in its server if it is not there yet.</summary>
internal sealed class DatabaseRunner(PostgresDatabaseResource database, PostgresRunner server, OrchestratorContext context) : ResourceRunner(database, context)
{
    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!System.Text.RegularExpressions.Regex.IsMatch(database.DatabaseName, "^[a-z_][a-z0-9_-]{0,62}$"))
        {
            throw new DistributedApplicationException($"{database.Name}: '{database.DatabaseName}' is not a valid database name (lower-case letters, digits, '_' and '-').");
        }

        await using var connection = new NpgsqlConnection(server.AdminConnectionString());
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = database.DatabaseName } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            // Identifiers cannot be parameters; the name was checked against a strict pattern above.
            await using var create = new NpgsqlCommand($"CREATE DATABASE \"{database.DatabaseName}\"", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
            Context.Output.Info($"{database.Name}: created database {database.DatabaseName}");
        }
    }

    public override Task StopAsync() => Task.CompletedTask;
}
