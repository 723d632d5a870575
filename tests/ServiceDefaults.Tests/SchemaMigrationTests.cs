using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using Platform.ServiceDefaults.Postgres.Migrations;
using Platform.ServiceDefaults.Tests.Infrastructure;

namespace Platform.ServiceDefaults.Tests;

/// <summary>Versioned schema steps against a real PostgreSQL, each test in a database of its own.</summary>
[Collection(ServersCollection.Name)]
public sealed class SchemaMigrationTests(Servers servers)
{
    private static readonly SchemaStep CreateNotes = SchemaStep.Sql(1, "notes", "CREATE TABLE notes (id int PRIMARY KEY, body text NOT NULL)");
    private static readonly SchemaStep CountApplications = SchemaStep.Sql(2, "count", "CREATE TABLE applied (n int); INSERT INTO applied VALUES (1)");

    [Fact]
    public async Task Each_step_runs_once_in_order_however_often_the_schema_is_applied()
    {
        await using var database = await ScratchDatabase.CreateAsync(servers.Postgres);
        var schema = new Schema("demo", CreateNotes, CountApplications);

        Assert.Equal([1, 2], await SchemaMigrations.ApplyAsync(database.DataSource, schema, EmptyServices.Instance, CancellationToken.None));
        Assert.Empty(await SchemaMigrations.ApplyAsync(database.DataSource, schema, EmptyServices.Instance, CancellationToken.None));

        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM applied"));
        Assert.Equal(2, await SchemaMigrations.CurrentVersionAsync(database.DataSource, "demo", CancellationToken.None));
    }

    [Fact]
    public async Task A_new_step_changes_a_table_that_an_earlier_release_made()
    {
        // What "CREATE TABLE IF NOT EXISTS" patches cannot do: a column of an existing table changes its type.
        await using var database = await ScratchDatabase.CreateAsync(servers.Postgres);
        await SchemaMigrations.ApplyAsync(database.DataSource, new Schema("demo", CreateNotes), EmptyServices.Instance, CancellationToken.None);
        await database.ScalarAsync("INSERT INTO notes VALUES (1, '42')");

        var next = new Schema("demo", CreateNotes, SchemaStep.Sql(2, "body as integer", "ALTER TABLE notes ALTER COLUMN body TYPE int USING body::int"));
        Assert.Equal([2], await SchemaMigrations.ApplyAsync(database.DataSource, next, EmptyServices.Instance, CancellationToken.None));

        Assert.Equal(42, await database.ScalarAsync("SELECT body FROM notes WHERE id = 1"));
    }

    [Fact]
    public async Task Replicas_applying_at_once_apply_each_step_once()
    {
        await using var database = await ScratchDatabase.CreateAsync(servers.Postgres);
        var schema = new Schema("demo", CreateNotes, CountApplications);

        var results = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ =>
            SchemaMigrations.ApplyAsync(database.DataSource, schema, EmptyServices.Instance, CancellationToken.None)));

        Assert.Single(results, applied => applied.Count == 2);
        Assert.Equal(1L, await database.ScalarAsync("SELECT count(*) FROM applied"));
    }

    [Fact]
    public async Task A_failing_step_leaves_the_database_as_it_was()
    {
        await using var database = await ScratchDatabase.CreateAsync(servers.Postgres);
        var broken = new Schema("demo", CreateNotes, SchemaStep.Sql(2, "broken", "ALTER TABLE no_such_table ADD COLUMN x int"));

        await Assert.ThrowsAsync<PostgresException>(() => SchemaMigrations.ApplyAsync(database.DataSource, broken, EmptyServices.Instance, CancellationToken.None));

        Assert.Equal(0, await SchemaMigrations.CurrentVersionAsync(database.DataSource, "demo", CancellationToken.None));
        Assert.Equal(false, await database.ScalarAsync("SELECT to_regclass('notes') IS NOT NULL"));
    }

    [Fact]
    public async Task A_database_ahead_of_the_build_or_with_an_edited_step_is_refused()
    {
        await using var database = await ScratchDatabase.CreateAsync(servers.Postgres);
        await SchemaMigrations.ApplyAsync(database.DataSource, new Schema("demo", CreateNotes, CountApplications), EmptyServices.Instance, CancellationToken.None);

        var older = await Assert.ThrowsAsync<SchemaMismatchException>(() =>
            SchemaMigrations.ApplyAsync(database.DataSource, new Schema("demo", CreateNotes), EmptyServices.Instance, CancellationToken.None));
        Assert.Contains("newer than this build knows", older.Message);

        var edited = new Schema("demo", CreateNotes, SchemaStep.Sql(2, "count differently", "SELECT 1"));
        var changed = await Assert.ThrowsAsync<SchemaMismatchException>(() =>
            SchemaMigrations.ApplyAsync(database.DataSource, edited, EmptyServices.Instance, CancellationToken.None));
        Assert.Contains("a released step was changed", changed.Message);
    }

    [Fact]
    public async Task Without_ApplyOnStartup_a_service_refuses_to_start_on_a_database_behind_it()
    {
        await using var database = await ScratchDatabase.CreateAsync(servers.Postgres);
        await SchemaMigrations.ApplyAsync(database.DataSource, new Schema("demo", CreateNotes), EmptyServices.Instance, CancellationToken.None);
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["Migrations:ApplyOnStartup"] = "false" }).Build();
        var migrator = new SchemaMigrator(database.DataSource, [new Schema("demo", CreateNotes, CountApplications)], EmptyServices.Instance,
            configuration, NullLogger<SchemaMigrator>.Instance);

        var refused = await Assert.ThrowsAsync<SchemaMismatchException>(() => migrator.StartAsync(CancellationToken.None));

        Assert.Contains("at version 1, this build needs 2", refused.Message);
        Assert.Equal(false, await database.ScalarAsync("SELECT to_regclass('applied') IS NOT NULL"));
    }

    [Fact]
    public void Versions_must_run_from_one_without_gaps() =>
        Assert.Throws<ArgumentException>(() => new Schema("demo", CreateNotes, SchemaStep.Sql(3, "skips two", "SELECT 1")));

    private sealed class ScratchDatabase : IAsyncDisposable
    {
        private readonly string server;
        private readonly string name;

        private ScratchDatabase(string server, string name, NpgsqlDataSource dataSource)
        {
            this.server = server;
            this.name = name;
            DataSource = dataSource;
        }

        public NpgsqlDataSource DataSource { get; }

        public static async Task<ScratchDatabase> CreateAsync(string server)
        {
            var name = $"migrations_{Guid.NewGuid():N}";
            await using (var admin = NpgsqlDataSource.Create(server))
            {
                await using var create = admin.CreateCommand($"CREATE DATABASE {name}");
                await create.ExecuteNonQueryAsync();
            }

            var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
            return new ScratchDatabase(server, name, dataSource);
        }

        public async Task<object?> ScalarAsync(string sql)
        {
            await using var command = DataSource.CreateCommand(sql);
            return await command.ExecuteScalarAsync();
        }

        public async ValueTask DisposeAsync()
        {
            await DataSource.DisposeAsync();
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(server);
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {name} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
