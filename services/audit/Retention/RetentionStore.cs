using Npgsql;

namespace Platform.Audit.Retention;

/// <summary>Each organization's chosen retention period (schema step 4, <c>audit_retention</c>); none chosen: the default.</summary>
internal sealed class RetentionStore(NpgsqlDataSource dataSource)
{
    public async Task<int?> DaysAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT days FROM audit_retention WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = organizationId });
        return await command.ExecuteScalarAsync(cancellationToken) is int days ? days : null;
    }

    /// <summary>Sets the period; returns the previous one (null: the default applied).</summary>
    public async Task<int?> SetAsync(string organizationId, int days, string changedBy, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH previous AS (SELECT days FROM audit_retention WHERE organization_id = $1 FOR UPDATE)
            INSERT INTO audit_retention (organization_id, days, changed_at, changed_by) VALUES ($1, $2, $3, $4)
            ON CONFLICT (organization_id) DO UPDATE SET days = excluded.days, changed_at = excluded.changed_at, changed_by = excluded.changed_by
            RETURNING (SELECT days FROM previous)
            """);
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = days });
        command.Parameters.Add(new() { Value = now });
        command.Parameters.Add(new() { Value = changedBy });
        return await command.ExecuteScalarAsync(cancellationToken) is int previous ? previous : null;
    }
}
