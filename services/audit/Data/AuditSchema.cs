using Npgsql;
using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Audit.Data;

/// <summary>The audit database's tables; applied at start-up only when Migrations:ApplyOnStartup is set (see SchemaMigrator).</summary>
internal static class AuditSchema
{
    private const string Sql = """
        CREATE TABLE IF NOT EXISTS audit_events (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id        text        NOT NULL UNIQUE,
            occurred_at     timestamptz NOT NULL,
            organization_id text,
            actor           text        NOT NULL,
            action          text        NOT NULL,
            target          text,
            outcome         text        NOT NULL,
            ip              text,
            request_id      text,
            user_agent      text,
            region          text,
            details         jsonb,
            received_at     timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS audit_events_org_time ON audit_events (organization_id, occurred_at DESC, id DESC);
        CREATE INDEX IF NOT EXISTS audit_events_time ON audit_events (occurred_at DESC, id DESC);
        CREATE INDEX IF NOT EXISTS audit_events_request ON audit_events (request_id);
        CREATE INDEX IF NOT EXISTS audit_events_actor ON audit_events (actor, occurred_at DESC);
        CREATE INDEX IF NOT EXISTS audit_events_action ON audit_events (action, occurred_at DESC);
        """;

    /// <summary>The tables as versioned steps: a change is a new step, never an edit of a released one. Step 1 is idempotent,
    /// so it adopts a database made before steps were versioned.</summary>
    public static readonly Schema Definition = new("audit", SchemaStep.Sql(1, "baseline", Sql));

    public static Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SchemaMigrations.ApplyAsync(dataSource, Definition, EmptyServices.Instance, cancellationToken);
}
