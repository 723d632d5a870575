using Npgsql;

namespace Platform.Storage.Residency;

/// <summary>
/// Residency fences (issue 17, the check/commit race): while residency pins an organization to region R, the storage
/// of every other region holds a fence naming R and makes no new dataset of the organization. Setting or lifting one
/// takes the organization's fence lock exclusively; every dataset creation takes it shared and reads the fence in its
/// own transaction. So when residency has set the fence, every creation that was under way has committed (and shows
/// in the holdings residency checks next) and every later one sees the fence and is refused.
/// </summary>
internal static class ResidencyFences
{
    /// <summary>The region the organization is fenced to, under the shared lock until the creation's transaction ends; null for none.</summary>
    public static async Task<string?> FenceForCreationAsync(string organizationId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await LockAsync(organizationId, "pg_advisory_xact_lock_shared", transaction, cancellationToken);
        await using var command = new NpgsqlCommand("SELECT region FROM residency_fences WHERE organization_id = $1", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = organizationId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    /// <summary>Sets (<paramref name="region"/>) or lifts (null) the organization's fence, once every creation under way has ended.</summary>
    public static async Task SetAsync(NpgsqlDataSource dataSource, string organizationId, string? region, DateTimeOffset now, string actor, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await LockAsync(organizationId, "pg_advisory_xact_lock", transaction, cancellationToken);
        await using (var command = region is null
            ? new NpgsqlCommand("DELETE FROM residency_fences WHERE organization_id = $1", connection, transaction)
            : new NpgsqlCommand("""
                INSERT INTO residency_fences (organization_id, region, fenced_at, fenced_by) VALUES ($1, $2, $3, $4)
                ON CONFLICT (organization_id) DO UPDATE SET region = EXCLUDED.region, fenced_at = EXCLUDED.fenced_at, fenced_by = EXCLUDED.fenced_by
                """, connection, transaction))
        {
            command.Parameters.Add(new() { Value = organizationId });
            if (region is not null)
            {
                command.Parameters.Add(new() { Value = region });
                command.Parameters.Add(new() { Value = now });
                command.Parameters.Add(new() { Value = actor });
            }

            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
    }

    public static async Task<string?> GetAsync(NpgsqlDataSource dataSource, string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT region FROM residency_fences WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = organizationId });
        return await command.ExecuteScalarAsync(cancellationToken) as string;
    }

    private static async Task LockAsync(string organizationId, string function, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"SELECT {function}(hashtext('residency-fence:' || $1))", transaction.Connection, transaction);
        command.Parameters.Add(new() { Value = organizationId });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
