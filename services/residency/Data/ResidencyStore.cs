using Npgsql;
using Platform.Residency.Model;

namespace Platform.Residency.Data;

/// <summary>Organizations' residency rows.</summary>
internal sealed class ResidencyStore(NpgsqlDataSource dataSource)
{
    public async Task<OrganizationResidency> GetAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT mode, region, updated_at, updated_by FROM organization_residency WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = organizationId });
        return await ReadAsync(command, organizationId, cancellationToken);
    }

    /// <summary>The row under a lock for the rest of the transaction (a missing row is locked by the advisory lock).</summary>
    public static async Task<OrganizationResidency> LockAsync(string organizationId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var advisory = new NpgsqlCommand("SELECT pg_advisory_xact_lock(hashtext('residency:' || $1))", transaction.Connection, transaction))
        {
            advisory.Parameters.Add(new() { Value = organizationId });
            await advisory.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(
            "SELECT mode, region, updated_at, updated_by FROM organization_residency WHERE organization_id = $1 FOR UPDATE", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = organizationId });
        return await ReadAsync(command, organizationId, cancellationToken);
    }

    public static async Task SaveAsync(OrganizationResidency residency, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO organization_residency (organization_id, mode, region, updated_at, updated_by) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (organization_id) DO UPDATE SET mode = EXCLUDED.mode, region = EXCLUDED.region,
                updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            """, transaction.Connection, transaction);
        foreach (var value in new object?[] { residency.OrganizationId, residency.Mode, residency.Region, residency.UpdatedAt, residency.UpdatedBy })
            command.Parameters.Add(new() { Value = value ?? DBNull.Value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<OrganizationResidency> ReadAsync(NpgsqlCommand command, string organizationId, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return OrganizationResidency.Default(organizationId);
        return new OrganizationResidency(organizationId, reader.GetString(0), reader.IsDBNull(1) ? null : reader.GetString(1),
            reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
    }
}
