using Npgsql;
using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Keys.Data;

/// <summary>The keys database's tables; applied at start-up only when Migrations:ApplyOnStartup is set (see SchemaMigrator).</summary>
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
            rate_limit_requests   integer     CHECK (rate_limit_requests BETWEEN 1 AND 1000000),
            rate_limit_window_seconds integer CHECK (rate_limit_window_seconds BETWEEN 1 AND 86400),
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

        -- 2026-11: a key's rate limit became requests per window (SPEC GW-RATE); rate_limit_per_minute was N per 60 s.
        ALTER TABLE api_keys
            ADD COLUMN IF NOT EXISTS rate_limit_requests integer CHECK (rate_limit_requests BETWEEN 1 AND 1000000),
            ADD COLUMN IF NOT EXISTS rate_limit_window_seconds integer CHECK (rate_limit_window_seconds BETWEEN 1 AND 86400);
        DO $$
        BEGIN
            IF EXISTS (SELECT FROM information_schema.columns
                       WHERE table_schema = current_schema() AND table_name = 'api_keys' AND column_name = 'rate_limit_per_minute') THEN
                UPDATE api_keys SET rate_limit_requests = rate_limit_per_minute, rate_limit_window_seconds = 60
                WHERE rate_limit_per_minute IS NOT NULL AND rate_limit_requests IS NULL;
                ALTER TABLE api_keys DROP COLUMN rate_limit_per_minute;
            END IF;
            IF NOT EXISTS (SELECT FROM pg_constraint WHERE conname = 'api_keys_rate_limit_complete') THEN
                ALTER TABLE api_keys ADD CONSTRAINT api_keys_rate_limit_complete
                    CHECK ((rate_limit_requests IS NULL) = (rate_limit_window_seconds IS NULL));
            END IF;
        END $$;

        -- An organization's IP allowlist (SPEC GW-IP); no row, or an empty list, means no restriction.
        CREATE TABLE IF NOT EXISTS organization_network_policies (
            organization_id text        PRIMARY KEY,
            allowed_cidrs   text[]      NOT NULL CHECK (cardinality(allowed_cidrs) <= 100),
            updated_at      timestamptz NOT NULL,
            updated_by      text        NOT NULL
        );

        -- Customer secrets (SPEC KEY-SECRETS): only storage's transit ciphertext ("pvt:v<N>:…"), sealed under the
        -- organization's key with a context naming organization and secret; never the value or a hash of it.
        CREATE TABLE IF NOT EXISTS organization_secrets (
            organization_id text        NOT NULL,
            name            text        NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,64}$'),
            version         integer     NOT NULL CHECK (version >= 1),
            ciphertext      text        NOT NULL CHECK (ciphertext LIKE 'pvt:v%'),
            created_at      timestamptz NOT NULL,
            updated_at      timestamptz NOT NULL,
            updated_by      text        NOT NULL,
            PRIMARY KEY (organization_id, name)
        );
        """;

    // Account closure (SPEC RET-CLOSE): an organization closing (read-only during the grace period) or closed. Set and
    // cleared by retention's events; the previous version neither reads nor writes it.
    private const string ClosingOrganizations = """
        CREATE TABLE closing_organizations (
            organization_id text        PRIMARY KEY,
            closure_id      text        NOT NULL,
            status          text        NOT NULL CHECK (status IN ('closing', 'closed')),
            grace_ends_at   timestamptz NOT NULL,
            recorded_at     timestamptz NOT NULL
        );
        """;

    /// <summary>The tables as versioned steps: a change is a new step, never an edit of a released one. Step 1 is idempotent,
    /// so it adopts a database made before steps were versioned.</summary>
    public static readonly Schema Definition = new("keys", SchemaStep.Sql(1, "baseline", Sql), SchemaStep.Sql(2, "closing organizations", ClosingOrganizations));

    public static Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SchemaMigrations.ApplyAsync(dataSource, Definition, EmptyServices.Instance, cancellationToken);
}
