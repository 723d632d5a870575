using Npgsql;

namespace Platform.Keys.Data;

/// <summary>The keys database's tables; applied at start-up only when Migrations:ApplyOnStartup is set.</summary>
internal static class KeysSchema
{
    // secret_hash is HMAC-SHA256(pepper, key): the key itself is stored nowhere (SPEC KEY-STORE).
    private const string Sql = """
        SELECT pg_advisory_xact_lock(hashtext('platform.keys.schema'));
        CREATE TABLE IF NOT EXISTS api_keys (
            id                    text        PRIMARY KEY,
            organization_id       text        NOT NULL,
            name                  text        NOT NULL,
            environment           text        NOT NULL CHECK (environment IN ('live', 'test')),
            display_prefix        text        NOT NULL,
            secret_hash           bytea       NOT NULL UNIQUE CHECK (octet_length(secret_hash) = 32),
            scopes                text[]      NOT NULL,
            allowed_cidrs         text[]      NOT NULL DEFAULT '{}',
            rate_limit_per_minute integer     CHECK (rate_limit_per_minute BETWEEN 1 AND 1000000),
            created_at            timestamptz NOT NULL,
            created_by            text        NOT NULL,
            updated_at            timestamptz NOT NULL,
            expires_at            timestamptz,
            revoked_at            timestamptz,
            rotated_from          text        REFERENCES api_keys (id),
            rotated_to            text        REFERENCES api_keys (id),
            last_used_at          timestamptz,
            use_count             bigint      NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS api_keys_organization ON api_keys (organization_id, id DESC);
        """;

    public static async Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // Two replicas starting together would race on "IF NOT EXISTS"; the advisory lock in Sql serialises them.
        await using (var command = new NpgsqlCommand(Sql, connection, transaction))
        {
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }
}
