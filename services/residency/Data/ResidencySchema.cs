using Platform.ServiceDefaults.Postgres.Migrations;

namespace Platform.Residency.Data;

/// <summary>The residency database's tables, as versioned steps: a change is a new step, never an edit of a released one.</summary>
internal static class ResidencySchema
{
    private const string Baseline = """
        SELECT pg_advisory_xact_lock(hashtext('platform.residency.schema'));
        -- An organization's residency (SPEC RES-PIN); no row is multi-region, the default. The regions themselves are
        -- configuration (Residency:Regions): a deployment adds one with its storage, not with a row.
        CREATE TABLE IF NOT EXISTS organization_residency (
            organization_id text        PRIMARY KEY,
            mode            text        NOT NULL CHECK (mode IN ('multi-region', 'single-region')),
            region          text,
            updated_at      timestamptz NOT NULL,
            updated_by      text        NOT NULL,
            CONSTRAINT organization_residency_region CHECK ((mode = 'single-region') = (region IS NOT NULL))
        );
        """;

    public static readonly Schema Definition = new("residency", SchemaStep.Sql(1, "baseline", Baseline));
}
