using Npgsql;
using NpgsqlTypes;
using Platform.Keys.Organizations;

namespace Platform.Keys.Data;

/// <summary>The <c>organization_network_policies</c> table: one row per organization that ever set a policy.</summary>
internal sealed class NetworkPolicyStore(NpgsqlDataSource dataSource)
{
    private const string Columns = "organization_id, allowed_cidrs, updated_at, updated_by";

    public async Task<NetworkPolicy> GetAsync(string organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {Columns} FROM organization_network_policies WHERE organization_id = $1");
        command.Parameters.Add(Text(organizationId));
        return await ReadAsync(command, organizationId, cancellationToken);
    }

    /// <summary>
    /// Reads the policy and holds the organization's lock until the transaction ends, so concurrent changes apply one
    /// after the other, including the first one, for which there is no row yet to lock.
    /// </summary>
    public static async Task<NetworkPolicy> LockAsync(string organizationId, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var locking = new NpgsqlCommand(
            "SELECT pg_advisory_xact_lock(hashtextextended('platform.keys.network-policy:' || $1, 0))", transaction.Connection, transaction))
        {
            locking.Parameters.Add(Text(organizationId));
            await locking.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var command = new NpgsqlCommand(
            $"SELECT {Columns} FROM organization_network_policies WHERE organization_id = $1", transaction.Connection, transaction);
        command.Parameters.Add(Text(organizationId));
        return await ReadAsync(command, organizationId, cancellationToken);
    }

    public static async Task<NetworkPolicy> SaveAsync(NetworkPolicy policy, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            $"""
            INSERT INTO organization_network_policies ({Columns}) VALUES ($1, $2, $3, $4)
            ON CONFLICT (organization_id) DO UPDATE
                SET allowed_cidrs = EXCLUDED.allowed_cidrs, updated_at = EXCLUDED.updated_at, updated_by = EXCLUDED.updated_by
            RETURNING {Columns}
            """, transaction.Connection, transaction);
        command.Parameters.Add(Text(policy.OrganizationId));
        command.Parameters.Add(new NpgsqlParameter { Value = policy.AllowedCidrs.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
        command.Parameters.Add(new NpgsqlParameter { Value = policy.UpdatedAt!.Value.ToUniversalTime(), NpgsqlDbType = NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Text(policy.UpdatedBy));
        return await ReadAsync(command, policy.OrganizationId, cancellationToken);
    }

    private static async Task<NetworkPolicy> ReadAsync(NpgsqlCommand command, string organizationId, CancellationToken cancellationToken)
    {
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return NetworkPolicy.Unrestricted(organizationId);
        return new NetworkPolicy(
            OrganizationId: reader.GetString(0),
            AllowedCidrs: reader.GetFieldValue<string[]>(1),
            UpdatedAt: reader.GetFieldValue<DateTimeOffset>(2),
            UpdatedBy: reader.GetString(3));
    }

    private static NpgsqlParameter Text(string? value) => new() { Value = (object?)value ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text };
}
