using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Storage.Keys;

/// <summary>What a transit caller's report did: the reported organizations' current versions, and seals held and released.</summary>
public sealed record TransitSealsOutcome(IReadOnlyDictionary<string, int> Current, int Held, int Released);

/// <summary>
/// Which key versions transit callers still hold live ciphertexts under (issue 16, the transit key lineage). Storage
/// cannot rewrap what its callers store, so each caller rewraps its own live ciphertexts onto the current version and
/// then reports, for every organization it may use, the versions its live ciphertexts are under. A version the
/// report leaves out is released for that caller, unless the caller sealed with it within
/// <see cref="BackupReachOptions.TransitGrace"/> (a ciphertext still on its way into the caller's database); a version
/// the report names is held again, and its <c>unused_since</c> starts over. <see cref="RetiredKeyVersions"/> destroys a
/// version only when no object and no held seal uses it, so transit versions follow the object keys' bound.
/// </summary>
internal sealed partial class TransitSeals(NpgsqlDataSource dataSource, TimeProvider time, IOptions<StorageOptions> options, ILogger<TransitSeals> logger)
{
    /// <param name="caller">The reporting service's actor.</param>
    /// <param name="scope">The organizations the caller may use, or null for every one.</param>
    /// <param name="report">Every organization in scope where the caller holds live ciphertexts, with their versions.</param>
    public async Task<TransitSealsOutcome> ReportAsync(
        string caller, IReadOnlyList<string>? scope, IReadOnlyDictionary<string, int[]> report, CancellationToken cancellationToken)
    {
        var organizations = report.SelectMany(r => r.Value.Distinct().Select(_ => r.Key)).ToArray();
        var versions = report.SelectMany(r => r.Value.Distinct()).ToArray();
        var now = time.GetUtcNow();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);

        int held;
        await using (var hold = new NpgsqlCommand("""
            WITH reported AS (SELECT * FROM unnest($1::text[], $2::integer[]) AS r(organization_id, version)),
            seals AS (
                INSERT INTO transit_seals (organization_id, version, caller, last_sealed_at, held)
                SELECT organization_id, version, $3, $4, true FROM reported
                ON CONFLICT (organization_id, version, caller) DO UPDATE SET held = true, released_at = NULL
                RETURNING 1)
            UPDATE organization_key_versions v SET unused_since = NULL
            FROM reported r WHERE v.organization_id = r.organization_id AND v.version = r.version AND v.unused_since IS NOT NULL
            """, connection, transaction))
        {
            hold.Parameters.Add(new() { Value = organizations, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            hold.Parameters.Add(new() { Value = versions, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            hold.Parameters.Add(new() { Value = caller });
            hold.Parameters.Add(new() { Value = now });
            await hold.ExecuteNonQueryAsync(cancellationToken);
            held = versions.Length;
        }

        int released;
        await using (var release = new NpgsqlCommand("""
            UPDATE transit_seals s SET held = false, released_at = $3
            WHERE s.held AND s.caller IN ($4, '*') AND ($5::text[] IS NULL OR s.organization_id = ANY($5)) AND s.last_sealed_at <= $3 - $6
              AND NOT EXISTS (SELECT 1 FROM unnest($1::text[], $2::integer[]) AS r(organization_id, version)
                              WHERE r.organization_id = s.organization_id AND r.version = s.version)
            """, connection, transaction))
        {
            release.Parameters.Add(new() { Value = organizations, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            release.Parameters.Add(new() { Value = versions, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Integer });
            release.Parameters.Add(new() { Value = now });
            release.Parameters.Add(new() { Value = caller });
            release.Parameters.Add(new() { Value = (object?)scope?.ToArray() ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            release.Parameters.Add(new() { Value = options.Value.BackupReach.TransitGrace });
            released = await release.ExecuteNonQueryAsync(cancellationToken);
        }

        var current = new Dictionary<string, int>(StringComparer.Ordinal);
        await using (var select = new NpgsqlCommand(
            "SELECT organization_id, current_version FROM organization_keys WHERE organization_id = ANY($1) AND destroyed_at IS NULL", connection, transaction))
        {
            select.Parameters.Add(new() { Value = report.Keys.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) current[reader.GetString(0)] = reader.GetInt32(1);
        }

        await transaction.CommitAsync(cancellationToken);
        LogReported(logger, caller, report.Count, held, released);
        return new TransitSealsOutcome(current, held, released);
    }

    [LoggerMessage(EventId = 5050, Level = LogLevel.Information, Message = "Transit caller {Caller} reported live ciphertexts in {Organizations} organization(s): {Held} version(s) held, {Released} seal(s) released")]
    private static partial void LogReported(ILogger logger, string caller, int organizations, int held, int released);
}
