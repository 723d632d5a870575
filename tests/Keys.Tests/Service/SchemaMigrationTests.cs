using Npgsql;
using Platform.Keys.Data;
using Platform.Keys.Model;
using Platform.Keys.Tests.Infrastructure;

namespace Platform.Keys.Tests.Service;

/// <summary>The schema step brings a database made by an earlier version up to date, and can run again.</summary>
[Collection(KeysServiceCollection.Name)]
public sealed class SchemaMigrationTests(KeysServiceFixture fixture)
{
    // The api_keys table as the first version of the service created it.
    private const string FirstVersion = """
        CREATE TABLE api_keys (
            id text PRIMARY KEY, organization_id text NOT NULL, name text NOT NULL,
            environment text NOT NULL CHECK (environment IN ('live', 'test')), display_prefix text NOT NULL,
            secret_hash bytea NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32), scopes text[] NOT NULL,
            allowed_cidrs text[] NOT NULL DEFAULT '{}', rate_limit_per_minute integer CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000),
            created_at timestamptz NOT NULL, created_by text NOT NULL, updated_at timestamptz NOT NULL, expires_at timestamptz,
            revoked_at timestamptz, rotated_from text REFERENCES api_keys (id), rotated_to text REFERENCES api_keys (id),
            last_used_at timestamptz, use_count bigint NOT NULL DEFAULT 0);
        INSERT INTO api_keys (id, organization_id, name, environment, display_prefix, secret_hash, scopes, rate_limit_per_minute,
                              created_at, created_by, updated_at)
        VALUES ('key_00000000000000000000000000000077', 'org_old', 'limited', 'live', 'sk_live_abcd', decode(repeat('01', 32), 'hex'),
                '{dataset:full}', 77, now(), 'root', now()),
               ('key_00000000000000000000000000000078', 'org_old', 'plain', 'live', 'sk_live_abce', decode(repeat('02', 32), 'hex'),
                '{dataset:full}', NULL, now(), 'root', now());
        """;

    [Fact]
    public async Task A_per_minute_limit_of_the_first_schema_becomes_a_sixty_second_window()
    {
        var server = new NpgsqlConnectionStringBuilder(fixture.Servers.GetConnectionString("keysdb"));
        var database = $"keys_migration_{Guid.NewGuid():N}";
        await using (var admin = NpgsqlDataSource.Create(server.ConnectionString))
        {
            await using var create = admin.CreateCommand($"CREATE DATABASE {database}");
            await create.ExecuteNonQueryAsync();
        }

        try
        {
            await using var dataSource = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = database }.ConnectionString);
            await using (var old = dataSource.CreateCommand(FirstVersion)) await old.ExecuteNonQueryAsync();

            await KeysSchema.ApplyAsync(dataSource, CancellationToken.None);
            await KeysSchema.ApplyAsync(dataSource, CancellationToken.None);

            var store = new KeyStore(dataSource);
            Assert.Equal(new RateLimit(77, 60), (await store.GetAsync("org_old", "key_00000000000000000000000000000077", CancellationToken.None))!.RateLimit);
            Assert.Null((await store.GetAsync("org_old", "key_00000000000000000000000000000078", CancellationToken.None))!.RateLimit);
            await using var column = dataSource.CreateCommand(
                "SELECT count(*) FROM information_schema.columns WHERE table_name = 'api_keys' AND column_name = 'rate_limit_per_minute'");
            Assert.Equal(0L, await column.ExecuteScalarAsync());
            await using var half = dataSource.CreateCommand("UPDATE api_keys SET rate_limit_window_seconds = NULL WHERE rate_limit_requests = 77");
            await Assert.ThrowsAsync<PostgresException>(() => half.ExecuteNonQueryAsync());
            await using var policies = dataSource.CreateCommand("SELECT count(*) FROM organization_network_policies");
            Assert.Equal(0L, await policies.ExecuteScalarAsync());
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = NpgsqlDataSource.Create(server.ConnectionString);
            await using var drop = admin.CreateCommand($"DROP DATABASE IF EXISTS {database} WITH (FORCE)");
            await drop.ExecuteNonQueryAsync();
        }
    }
}
