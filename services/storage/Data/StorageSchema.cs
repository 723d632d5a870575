using Npgsql;
using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Storage.Data;

/// <summary>The storage database's tables; applied at start-up only when Migrations:ApplyOnStartup is set (see SchemaMigrator).</summary>
internal static class StorageSchema
{
    // Key material appears only wrapped: wrapped_key under the root key, wrapped_dek under an organization key.
    // Destroying an organization's keys (crypto-shredding) sets wrapped_key to NULL for every version.
    private const string Sql = """
        SELECT pg_advisory_xact_lock(hashtext('platform.storage.schema'));
        CREATE TABLE IF NOT EXISTS organization_keys (
            organization_id        text        PRIMARY KEY,
            region                 text        NOT NULL,
            current_version        integer     NOT NULL,
            min_decryption_version integer     NOT NULL DEFAULT 1,
            rotation_period        interval,
            rotated_at             timestamptz NOT NULL,
            created_at             timestamptz NOT NULL,
            destroyed_at           timestamptz,
            destroyed_by           text
        );
        CREATE TABLE IF NOT EXISTS organization_key_versions (
            organization_id text        NOT NULL REFERENCES organization_keys (organization_id),
            version         integer     NOT NULL CHECK (version >= 1),
            root_key        text        NOT NULL,
            wrapped_key     bytea,
            usage_count     bigint      NOT NULL DEFAULT 0,
            created_at      timestamptz NOT NULL,
            reason          text        NOT NULL,
            PRIMARY KEY (organization_id, version)
        );
        CREATE TABLE IF NOT EXISTS datasets (
            id              text        PRIMARY KEY,
            organization_id text        NOT NULL,
            region          text        NOT NULL,
            name            text        NOT NULL,
            created_at      timestamptz NOT NULL,
            created_by      text        NOT NULL
        );
        CREATE INDEX IF NOT EXISTS datasets_organization ON datasets (organization_id, id);
        CREATE TABLE IF NOT EXISTS objects (
            id              text        PRIMARY KEY,
            dataset_id      text        NOT NULL REFERENCES datasets (id),
            organization_id text        NOT NULL,
            name            text        NOT NULL,
            data_class      text        NOT NULL CHECK (data_class IN ('image', 'annotation', 'artifact', 'model_weights', 'heatmap')),
            size            bigint      NOT NULL CHECK (size >= 0),
            content_type    text        NOT NULL,
            key_version     integer     NOT NULL,
            wrapped_dek     bytea       NOT NULL,
            blob_key        text        NOT NULL,
            created_at      timestamptz NOT NULL,
            created_by      text        NOT NULL,
            UNIQUE (dataset_id, name)
        );
        CREATE INDEX IF NOT EXISTS objects_rewrap ON objects (organization_id, key_version);
        """;

    // A dataset belongs to the environment of the key that created it (live or test); rows from before are live.
    // Safe to roll through: the previous version neither reads nor writes the column.
    private const string DatasetEnvironments = """
        ALTER TABLE datasets ADD COLUMN environment text NOT NULL DEFAULT 'live'
            CONSTRAINT datasets_environment CHECK (environment IN ('live', 'test'));
        """;

    // Detection results joined the shared closed list of data classes (Messaging/Contracts/DataClasses.cs, issue 16);
    // the check names exactly storage's classes of that list. Widening only: no existing row can fail it.
    private const string DetectionResults = """
        ALTER TABLE objects DROP CONSTRAINT IF EXISTS objects_data_class_check;
        ALTER TABLE objects ADD CONSTRAINT objects_data_class
            CHECK (data_class IN ('image', 'detection_result', 'annotation', 'artifact', 'model_weights', 'heatmap'));
        """;

    // An organization's residency fence (issue 17): while residency pins an organization to another region, this
    // storage makes no new dataset of it. Set before residency checks what this region holds, under an exclusive
    // advisory lock that every dataset creation takes shared, so no creation commits unseen between check and commit.
    private const string ResidencyFences = """
        CREATE TABLE residency_fences (
            organization_id text        PRIMARY KEY,
            region          text        NOT NULL,
            fenced_at       timestamptz NOT NULL,
            fenced_by       text        NOT NULL
        );
        """;

    // Deletion that reaches backups (issue 16 item 3): a retired version no object's data key is wrapped by any more is
    // destroyed once every backup that could hold such a key has expired. transit_used: the version sealed transit
    // ciphertexts, which storage cannot rewrap (their callers hold them), so it is never destroyed automatically; rows
    // from before this step count as used (unknown). unused_since: when maintenance first saw no object wrapped by it.
    private const string BackupReach = """
        ALTER TABLE organization_key_versions
            ADD COLUMN transit_used boolean NOT NULL DEFAULT true,
            ADD COLUMN unused_since timestamptz,
            ADD COLUMN destroyed_at timestamptz;
        ALTER TABLE organization_key_versions ALTER COLUMN transit_used SET DEFAULT false;
        """;

    // Account closure (SPEC RET-CLOSE): an organization closing (read-only during the grace period) or closed (its data
    // deleted). Set and cleared by retention's events; the previous version neither reads nor writes it.
    private const string ClosingOrganizations = """
        CREATE TABLE closing_organizations (
            organization_id text        PRIMARY KEY,
            closure_id      text        NOT NULL,
            status          text        NOT NULL CHECK (status IN ('closing', 'closed')),
            grace_ends_at   timestamptz NOT NULL,
            recorded_at     timestamptz NOT NULL
        );
        """;

    // Transit versions follow the object keys' scheme (issue 16, the transit key lineage): each transit caller's seals per
    // key version (when it last sealed with it; whether its latest report still holds a live ciphertext under it). A
    // version is destroyed only once no object and no caller's live ciphertext uses it. Versions that sealed transit
    // before this step have an unknown caller ('*'): held until some transit caller's report releases them.
    private const string TransitSeals = """
        CREATE TABLE transit_seals (
            organization_id text        NOT NULL,
            version         integer     NOT NULL,
            caller          text        NOT NULL,
            last_sealed_at  timestamptz NOT NULL,
            held            boolean     NOT NULL DEFAULT true,
            released_at     timestamptz,
            PRIMARY KEY (organization_id, version, caller)
        );
        INSERT INTO transit_seals (organization_id, version, caller, last_sealed_at)
            SELECT organization_id, version, '*', created_at FROM organization_key_versions WHERE transit_used AND wrapped_key IS NOT NULL;
        """;

    /// <summary>The tables as versioned steps: a change is a new step, never an edit of a released one. Step 1 is idempotent,
    /// so it adopts a database made before steps were versioned.</summary>
    public static readonly Schema Definition = new(
        "storage",
        SchemaStep.Sql(1, "baseline", Sql),
        SchemaStep.Sql(2, "dataset environments", DatasetEnvironments),
        SchemaStep.Sql(3, "detection results class", DetectionResults),
        SchemaStep.Sql(4, "residency fences", ResidencyFences),
        SchemaStep.Sql(5, "key versions destroyed for backups", BackupReach),
        SchemaStep.Sql(6, "closing organizations", ClosingOrganizations),
        SchemaStep.Sql(7, "transit seals", TransitSeals));

    public static Task ApplyAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken) =>
        SchemaMigrations.ApplyAsync(dataSource, Definition, EmptyServices.Instance, cancellationToken);
}
