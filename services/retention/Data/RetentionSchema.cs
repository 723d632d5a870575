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

    // Purges (SPEC RET-PURGE): storage's objects as its events announce them, and a signed receipt per deleted item.
    private const string Purges = """
        CREATE TABLE tracked_objects (
            object_id          text        PRIMARY KEY,
            organization_id    text        NOT NULL,
            dataset_id         text        NOT NULL,
            data_class         text        NOT NULL,
            stored_at          timestamptz NOT NULL,
            stored_by          text        NOT NULL,
            purge_id           text,
            purge_requested_at timestamptz,
            purge_attempts     integer     NOT NULL DEFAULT 0,
            expired_at         timestamptz,
            purge_policy       text,
            gone_at            timestamptz
        );
        CREATE INDEX tracked_objects_live ON tracked_objects (organization_id, data_class, stored_at) WHERE gone_at IS NULL;
        CREATE INDEX tracked_objects_dataset ON tracked_objects (dataset_id) WHERE gone_at IS NULL;
        CREATE TABLE purge_receipts (
            item_id         text        PRIMARY KEY,
            organization_id text        NOT NULL,
            owner           text        NOT NULL,
            data_class      text        NOT NULL,
            dataset_id      text,
            expired_at      timestamptz NOT NULL,
            deleted_at      timestamptz NOT NULL,
            policy          text        NOT NULL,
            destroyed_key   text,
            purge_id        text        NOT NULL,
            receipt         text        NOT NULL,
            signature       text        NOT NULL,
            recorded_at     timestamptz NOT NULL
        );
        CREATE INDEX purge_receipts_organization ON purge_receipts (organization_id, deleted_at DESC, item_id);
        """;

    // Account closure (SPEC RET-CLOSE): one row per request, the services' answers, and the final signed receipt.
    private const string Closures = """
        CREATE TABLE organization_closures (
            id              text        PRIMARY KEY,
            organization_id text        NOT NULL,
            status          text        NOT NULL CHECK (status IN ('pending', 'deleting', 'closed', 'cancelled')),
            requested_at    timestamptz NOT NULL,
            requested_by    text        NOT NULL,
            grace_ends_at   timestamptz NOT NULL,
            cancelled_at    timestamptz,
            cancelled_by    text,
            deleting_since  timestamptz,
            asked_at        timestamptz,
            attempts        integer     NOT NULL DEFAULT 0,
            holds           jsonb,
            retention_deleted jsonb,
            closed_at       timestamptz,
            receipt         text,
            signature       text
        );
        -- At most one closure that is not cancelled per organization: closing twice is refused.
        CREATE UNIQUE INDEX organization_closures_live ON organization_closures (organization_id) WHERE status <> 'cancelled';
        CREATE INDEX organization_closures_due ON organization_closures (grace_ends_at) WHERE status IN ('pending', 'deleting');
        CREATE TABLE closure_answers (
            closure_id  text        NOT NULL REFERENCES organization_closures (id),
            participant text        NOT NULL,
            answer      jsonb       NOT NULL,
            answered_at timestamptz NOT NULL,
            PRIMARY KEY (closure_id, participant)
        );
        """;

    // Data-subject requests (SPEC RET-DSAR, GDPR Art. 12): one row per request, its deadline and its one extension.
    private const string SubjectRequests = """
        CREATE TABLE subject_requests (
            id               text        PRIMARY KEY,
            organization_id  text        NOT NULL,
            subject_user_id  text        NOT NULL,
            subject_email    text        NOT NULL,
            type             text        NOT NULL CHECK (type IN ('access', 'portability', 'erasure')),
            status           text        NOT NULL CHECK (status IN ('open', 'completed')),
            received_at      timestamptz NOT NULL,
            received_by      text        NOT NULL,
            due_at           timestamptz NOT NULL,
            extended_at      timestamptz,
            extended_by      text,
            extension_reason text,
            completed_at     timestamptz,
            CHECK ((extended_at IS NULL) = (extension_reason IS NULL))
        );
        CREATE INDEX subject_requests_organization ON subject_requests (organization_id, received_at DESC, id);
        """;

    // Data-subject requests answered across services (issue 16 item 6): what was asked and when (asked again until every
    // service answered), each service's answer, the sealed access/portability archive, and an erasure's signed receipt.
    private const string SubjectAnswers = """
        ALTER TABLE subject_requests ADD COLUMN include_objects boolean NOT NULL DEFAULT false;
        ALTER TABLE subject_requests ADD COLUMN asked_at timestamptz;
        ALTER TABLE subject_requests ADD COLUMN attempts integer NOT NULL DEFAULT 0;
        ALTER TABLE subject_requests ADD COLUMN holds jsonb;
        ALTER TABLE subject_requests ADD COLUMN receipt text;
        ALTER TABLE subject_requests ADD COLUMN signature text;
        CREATE INDEX subject_requests_open ON subject_requests (asked_at) WHERE status = 'open';
        CREATE TABLE subject_request_answers (
            request_id  text        NOT NULL REFERENCES subject_requests (id),
            participant text        NOT NULL,
            answer      jsonb       NOT NULL,
            answered_at timestamptz NOT NULL,
            PRIMARY KEY (request_id, participant)
        );
        -- The archive: AES-256-GCM ciphertext of the signed JSON (key derived from the receipt key, the request and
        -- organization ids as associated data); its SHA-256 and Ed25519 signature over the plaintext.
        CREATE TABLE subject_archives (
            request_id  text        PRIMARY KEY REFERENCES subject_requests (id),
            nonce       bytea       NOT NULL,
            ciphertext  bytea       NOT NULL,
            sha256      text        NOT NULL,
            signature   text        NOT NULL,
            bytes       bigint      NOT NULL,
            created_at  timestamptz NOT NULL
        );
        """;

    // Purges ask batch after batch up to a bound of items in flight (asked, not answered): counted on this index.
    private const string PurgesInFlight = """
        CREATE INDEX tracked_objects_in_flight ON tracked_objects (purge_requested_at) WHERE gone_at IS NULL AND purge_requested_at IS NOT NULL;
        """;

    // Purges that reach every class (issue 16): receipts get a stable id (the receipts' paging cursor) and a kind — a
    // deletion, or an expired item skipped because of a legal hold (once per item and hold); the audit service's log
    // classes are purged per organization and class (log_purges: asked, answered, retried like items); an object the
    // product marked processed is due at once under a zero-retention policy.
    private const string PurgesEverywhere = """
        ALTER TABLE purge_receipts DROP CONSTRAINT purge_receipts_pkey;
        ALTER TABLE purge_receipts ADD COLUMN id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY;
        ALTER TABLE purge_receipts ADD COLUMN kind text NOT NULL DEFAULT 'deleted' CHECK (kind IN ('deleted', 'skipped'));
        ALTER TABLE purge_receipts ADD COLUMN hold_id text;
        ALTER TABLE purge_receipts ALTER COLUMN deleted_at DROP NOT NULL;
        ALTER TABLE purge_receipts ADD CHECK ((kind = 'deleted') = (deleted_at IS NOT NULL) AND (kind = 'skipped') = (hold_id IS NOT NULL));
        CREATE UNIQUE INDEX purge_receipts_deleted ON purge_receipts (item_id) WHERE kind = 'deleted';
        CREATE UNIQUE INDEX purge_receipts_skipped ON purge_receipts (item_id, hold_id) WHERE kind = 'skipped';
        CREATE INDEX purge_receipts_page ON purge_receipts (organization_id, id DESC);
        ALTER TABLE tracked_objects ADD COLUMN processed_at timestamptz;
        CREATE TABLE log_purges (
            organization_id text        NOT NULL,
            data_class      text        NOT NULL,
            purge_id        text        NOT NULL,
            cutoff          timestamptz NOT NULL,
            policy          text        NOT NULL,
            requested_at    timestamptz NOT NULL,
            attempts        integer     NOT NULL DEFAULT 1,
            answered_at     timestamptz,
            PRIMARY KEY (organization_id, data_class)
        );
        """;

    public static readonly Schema Definition = new(
        "retention",
        SchemaStep.Sql(1, "baseline", Baseline),
        SchemaStep.Sql(2, "purges and receipts", Purges),
        SchemaStep.Sql(3, "account closure", Closures),
        SchemaStep.Sql(4, "data-subject requests", SubjectRequests),
        SchemaStep.Sql(5, "data-subject answers, archives and erasure receipts", SubjectAnswers),
        SchemaStep.Sql(6, "purges in flight", PurgesInFlight),
        SchemaStep.Sql(7, "purges of every class, skipped items, receipt ids, processed marks", PurgesEverywhere));
}
