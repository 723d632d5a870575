using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Storage.Events;

namespace Platform.Storage.Keys;

/// <summary>
/// Deletion that reaches backups (issue 16 item 3). After each rotation and rewrap pass: a version below the current
/// one that no object's data key is wrapped by any more is marked unused (once); <see cref="BackupReachOptions.BackupRetention"/>
/// after that, every backup that could hold a data key wrapped by it has expired, and its wrapped key is erased
/// (<c>wrapped_key</c> NULL, <c>destroyed_at</c> set). A backup kept longer — or restored later — holds data keys no key
/// can unwrap: the objects deleted since are gone from it. A version that sealed transit ciphertexts counts as used
/// while a caller may hold a live one under it (<see cref="TransitSeals"/>): until the caller rewrapped them and reported so.
/// </summary>
internal sealed partial class RetiredKeyVersions(
    NpgsqlDataSource dataSource, OrganizationKeyRing ring, IOutbox outbox, TimeProvider time, IOptions<StorageOptions> options, ILogger<RetiredKeyVersions> logger)
{
    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using (var mark = dataSource.CreateCommand("""
            UPDATE organization_key_versions v SET unused_since = $2
            FROM organization_keys o
            WHERE o.organization_id = v.organization_id AND o.region = $1 AND o.destroyed_at IS NULL
              AND v.version < o.current_version AND v.wrapped_key IS NOT NULL AND v.unused_since IS NULL
              AND NOT EXISTS (SELECT 1 FROM objects b WHERE b.organization_id = v.organization_id AND b.key_version = v.version)
              AND NOT EXISTS (SELECT 1 FROM transit_seals s WHERE s.organization_id = v.organization_id AND s.version = v.version AND s.held)
            """))
        {
            mark.Parameters.Add(new() { Value = options.Value.Region });
            mark.Parameters.Add(new() { Value = now });
            await mark.ExecuteNonQueryAsync(cancellationToken);
        }

        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var destroyed = new List<(string Organization, int Version, DateTimeOffset UnusedSince)>();
        await using (var destroy = new NpgsqlCommand("""
            UPDATE organization_key_versions v SET wrapped_key = NULL, destroyed_at = $2
            FROM organization_keys o
            WHERE o.organization_id = v.organization_id AND o.region = $1 AND o.destroyed_at IS NULL
              AND v.version < o.current_version AND v.wrapped_key IS NOT NULL
              AND v.unused_since IS NOT NULL AND v.unused_since + $3 <= $2
              AND NOT EXISTS (SELECT 1 FROM objects b WHERE b.organization_id = v.organization_id AND b.key_version = v.version)
              AND NOT EXISTS (SELECT 1 FROM transit_seals s WHERE s.organization_id = v.organization_id AND s.version = v.version AND s.held)
            RETURNING v.organization_id, v.version, v.unused_since
            """, connection, transaction))
        {
            destroy.Parameters.Add(new() { Value = options.Value.Region });
            destroy.Parameters.Add(new() { Value = now });
            destroy.Parameters.Add(new() { Value = options.Value.BackupReach.BackupRetention });
            await using var reader = await destroy.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) destroyed.Add((reader.GetString(0), reader.GetInt32(1), reader.GetFieldValue<DateTimeOffset>(2)));
        }

        foreach (var (organization, version, unusedSince) in destroyed)
        {
            await outbox.EnqueueAsync(new AuditRecorded
            {
                OrganizationId = organization,
                OccurredAt = now,
                Actor = "system:storage",
                Action = AuditActions.KeyVersionDestroyed,
                Target = $"{organization}/v{version}",
                Outcome = "success",
                Region = options.Value.Region,
                Details = new Dictionary<string, string>
                {
                    ["version"] = version.ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["unusedSince"] = unusedSince.ToString("O", System.Globalization.CultureInfo.InvariantCulture),
                    ["reason"] = "backup-reach",
                },
            }, transaction, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        foreach (var (organization, version, _) in destroyed)
        {
            ring.Forget(organization, version);
            LogDestroyed(logger, organization, version);
        }

        return destroyed.Count;
    }

    [LoggerMessage(EventId = 5040, Level = LogLevel.Information, Message = "Destroyed retired key version {Version} of {OrganizationId}: every backup that could hold data keys wrapped by it has expired")]
    private static partial void LogDestroyed(ILogger logger, string organizationId, int version);
}
