using Npgsql;
using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Messaging;

/// <summary>
/// The messaging tables in the service's own database: <c>outbox</c> (events waiting to be, or recently, published)
/// and <c>inbox</c> (ids of events already applied). Step 1 is idempotent, so it adopts tables made before steps were versioned.
/// </summary>
public static class MessagingSchema
{
    public const string Sql =
        """
        CREATE TABLE IF NOT EXISTS outbox (
            id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
            event_id        text        NOT NULL UNIQUE,
            type            text        NOT NULL,
            payload         jsonb       NOT NULL,
            trace_parent    text,
            trace_state     text,
            occurred_at     timestamptz NOT NULL,
            created_at      timestamptz NOT NULL,
            attempts        integer     NOT NULL DEFAULT 0,
            next_attempt_at timestamptz NOT NULL,
            last_error      text,
            sent_at         timestamptz
        );
        -- Published as mandatory: a row whose event no queue takes stays unsent (IntegrationEventAttribute.MustBeRouted).
        ALTER TABLE outbox ADD COLUMN IF NOT EXISTS must_be_routed boolean NOT NULL DEFAULT false;
        CREATE INDEX IF NOT EXISTS outbox_unsent ON outbox (id) WHERE sent_at IS NULL;
        CREATE INDEX IF NOT EXISTS outbox_sent_at ON outbox (sent_at) WHERE sent_at IS NOT NULL;
        -- A queue table: every row is inserted, updated once and deleted. Vacuum and analyze it early, or dead rows
        -- and stale estimates slow down the relay's scans.
        ALTER TABLE outbox SET (autovacuum_vacuum_scale_factor = 0.02, autovacuum_analyze_scale_factor = 0.02);

        CREATE TABLE IF NOT EXISTS inbox (
            event_id     text        PRIMARY KEY,
            type         text        NOT NULL,
            processed_at timestamptz NOT NULL
        );
        CREATE INDEX IF NOT EXISTS inbox_processed_at ON inbox (processed_at);
        """;

    /// <summary>The messaging tables as versioned steps; a change to them is a new step, never an edit of a released one.</summary>
    public static readonly Schema Definition = new("messaging", SchemaStep.Sql(1, "outbox and inbox", Sql));

    /// <summary>Brings the messaging tables up to date (what a service's migrations do at start-up).</summary>
    public static Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SchemaMigrations.ApplyAsync(dataSource, Definition, EmptyServices.Instance, cancellationToken);
}
