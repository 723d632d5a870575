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

    /// <summary>
    /// Step 2, the tamper-evident log (README "Log format"): each entry's log (organization id, '' for none), its
    /// leaf index, the salts of its personal fields and the commitments of erased ones; per log its size and right
    /// edge; every complete subtree's hash; the signed checkpoints. Entries stored before this step stay outside
    /// the logs: audit_log_genesis remembers where the logs begin.
    /// </summary>
    private const string LogSql = """
        ALTER TABLE audit_events
            ADD COLUMN log_id text,
            ADD COLUMN leaf_index bigint,
            ADD COLUMN target_salt bytea,
            ADD COLUMN ip_salt bytea,
            ADD COLUMN user_agent_salt bytea,
            ADD COLUMN details_salt bytea,
            ADD COLUMN erased jsonb;
        CREATE UNIQUE INDEX audit_events_leaf ON audit_events (log_id, leaf_index);
        CREATE TABLE audit_log_genesis (
            single           boolean PRIMARY KEY DEFAULT true CHECK (single),
            before_id        bigint NOT NULL
        );
        INSERT INTO audit_log_genesis (before_id) SELECT coalesce(max(id), 0) + 1 FROM audit_events;
        CREATE TABLE audit_logs (
            log_id           text PRIMARY KEY,
            size             bigint NOT NULL DEFAULT 0,
            frontier         bytea  NOT NULL DEFAULT ''::bytea
        );
        CREATE TABLE audit_log_nodes (
            log_id           text   NOT NULL,
            level            int    NOT NULL,
            index            bigint NOT NULL,
            hash             bytea  NOT NULL,
            PRIMARY KEY (log_id, level, index)
        );
        CREATE TABLE audit_checkpoints (
            id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            log_id           text        NOT NULL,
            tree_size        bigint      NOT NULL,
            root_hash        bytea       NOT NULL,
            note             text        NOT NULL,
            signed_at        timestamptz NOT NULL
        );
        CREATE INDEX audit_checkpoints_latest ON audit_checkpoints (log_id, id DESC);
        """;

    /// <summary>
    /// Step 3, SIEM delivery (README "SIEM delivery"): each organization's destinations, the leaf index of its log up
    /// to which entries were delivered, and the state of the last attempts.
    /// </summary>
    private const string SiemSql = """
        CREATE TABLE siem_destinations (
            id               text PRIMARY KEY,
            organization_id  text        NOT NULL,
            kind             text        NOT NULL,
            host             text        NOT NULL,
            port             int         NOT NULL,
            ca_certificate   text,
            created_at       timestamptz NOT NULL,
            cursor           bigint      NOT NULL DEFAULT 0,
            failures         int         NOT NULL DEFAULT 0,
            last_delivered_at timestamptz,
            last_error       text,
            last_error_at    timestamptz,
            next_attempt_at  timestamptz
        );
        CREATE INDEX siem_destinations_organization ON siem_destinations (organization_id);
        """;

    /// <summary>
    /// Step 4, retention of the log (README "Retention"): where each log's kept leaves begin (the leaves before were
    /// pruned, and only the subtrees standing for them kept), and each organization's retention period.
    /// </summary>
    private const string RetentionSql = """
        ALTER TABLE audit_logs ADD COLUMN pruned_before bigint NOT NULL DEFAULT 0;
        CREATE TABLE audit_retention (
            organization_id  text PRIMARY KEY,
            days             int         NOT NULL,
            changed_at       timestamptz NOT NULL,
            changed_by       text        NOT NULL
        );
        """;

    /// <summary>Step 5, Splunk HEC destinations (README "SIEM delivery"): a destination's token, sealed (never stored in the clear).</summary>
    private const string HecSql = """
        ALTER TABLE siem_destinations ADD COLUMN token_sealed bytea;
        """;

    /// <summary>The tables as versioned steps: a change is a new step, never an edit of a released one. Step 1 is idempotent,
    /// so it adopts a database made before steps were versioned.</summary>
    public static readonly Schema Definition = new("audit", SchemaStep.Sql(1, "baseline", Sql), SchemaStep.Sql(2, "merkle-log", LogSql),
        SchemaStep.Sql(3, "siem-delivery", SiemSql), SchemaStep.Sql(4, "retention", RetentionSql),
        SchemaStep.Sql(5, "siem-hec", HecSql));

    public static Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SchemaMigrations.ApplyAsync(dataSource, Definition, EmptyServices.Instance, cancellationToken);
}
