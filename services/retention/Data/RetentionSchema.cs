using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Retention.Data;

/// <summary>The retention database's tables, as versioned steps: a change is a new step, never an edit of a released one.</summary>
internal static class RetentionSchema
{
    private const string Baseline = """
        SELECT pg_advisory_xact_lock(hashtext('platform.retention.schema'));
        -- An organization's plan (identity has none yet); no row is the self-service plan.
        CREATE TABLE IF NOT EXISTS organization_plans (
            organization_id text        PRIMARY KEY,
            plan            text        NOT NULL CHECK (plan IN ('self-service', 'enterprise')),
            updated_at      timestamptz NOT NULL,
            updated_by      text        NOT NULL
        );
        -- A period an organization chose for a data class; no row is the class's default.
        CREATE TABLE IF NOT EXISTS retention_policies (
            organization_id text        NOT NULL,
            data_class      text        NOT NULL,
            days            integer     NOT NULL CHECK (days BETWEEN 0 AND 2555),
            updated_at      timestamptz NOT NULL,
            updated_by      text        NOT NULL,
            PRIMARY KEY (organization_id, data_class)
        );
        -- Legal holds (S3 Object Lock legal-hold semantics): no expiry, ended only by an explicit release, kept afterwards.
        CREATE TABLE IF NOT EXISTS legal_holds (
            id              text        PRIMARY KEY,
            organization_id text        NOT NULL,
            scope           text        NOT NULL CHECK (scope IN ('organization', 'dataset', 'data_class', 'user')),
            target          text        NOT NULL,
            reason          text        NOT NULL,
            placed_at       timestamptz NOT NULL,
            placed_by       text        NOT NULL,
            released_at     timestamptz,
            released_by     text,
            release_reason  text,
            CHECK ((released_at IS NULL) = (released_by IS NULL))
        );
        -- One active hold per target, as an object has one legal-hold flag.
        CREATE UNIQUE INDEX IF NOT EXISTS legal_holds_active ON legal_holds (organization_id, scope, target) WHERE released_at IS NULL;
        CREATE INDEX IF NOT EXISTS legal_holds_organization ON legal_holds (organization_id, placed_at DESC, id);
        """;

    public static readonly Schema Definition = new("retention", SchemaStep.Sql(1, "baseline", Baseline));
}
