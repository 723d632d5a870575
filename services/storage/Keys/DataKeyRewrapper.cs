using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Storage.Keys;

/// <summary>
/// Moves wrapped object keys to their organization's newest key version (SPEC ENC-ROTATE): only the wrapped data key
/// changes, never the object's bytes, and no plaintext leaves the process. Each row is updated only if nobody moved it
/// in between (compare-and-set on the version).
/// </summary>
internal sealed partial class DataKeyRewrapper(NpgsqlDataSource dataSource, DataKeys dataKeys, IOptions<StorageOptions> options, ILogger<DataKeyRewrapper> logger)
{
    /// <summary>Rewraps every stale object key (of one organization, or all); returns how many moved.</summary>
    public async Task<int> RewrapAsync(string? organizationId, CancellationToken cancellationToken)
    {
        var total = 0;
        while (true)
        {
            var batch = await StaleAsync(organizationId, cancellationToken);
            var moved = 0;
            foreach (var (objectId, organization, version, wrapped) in batch)
            {
                try
                {
                    var (newVersion, rewrapped) = await dataKeys.RewrapAsync(organization, objectId, version, wrapped, cancellationToken);
                    await using var update = dataSource.CreateCommand("UPDATE objects SET key_version = $3, wrapped_dek = $4 WHERE id = $1 AND key_version = $2");
                    update.Parameters.Add(new() { Value = objectId });
                    update.Parameters.Add(new() { Value = version });
                    update.Parameters.Add(new() { Value = newVersion });
                    update.Parameters.Add(new() { Value = rewrapped });
                    moved += await update.ExecuteNonQueryAsync(cancellationToken);
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    // One object that cannot move (retired, destroyed, altered, or wrapped under a root this instance
                    // does not hold) must not hold back every other; it is retried on the next pass.
                    LogSkipped(logger, objectId, exception.GetType().Name);
                }
            }

            total += moved;
            if (batch.Count < options.Value.RewrapBatchSize || moved == 0) break;
        }

        if (total > 0) LogRewrapped(logger, total, organizationId ?? "all organizations");
        return total;
    }

    private async Task<List<(string, string, int, byte[])>> StaleAsync(string? organizationId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT o.id, o.organization_id, o.key_version, o.wrapped_dek
            FROM objects o JOIN organization_keys k ON k.organization_id = o.organization_id
            WHERE k.destroyed_at IS NULL AND o.key_version < k.current_version AND ($1::text IS NULL OR o.organization_id = $1)
              AND o.key_version >= k.min_decryption_version
            ORDER BY o.id LIMIT $2
            """);
        command.Parameters.Add(new() { Value = (object?)organizationId ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Text });
        command.Parameters.Add(new() { Value = options.Value.RewrapBatchSize });
        var rows = new List<(string, string, int, byte[])>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), reader.GetInt32(2), reader.GetFieldValue<byte[]>(3)));
        }

        return rows;
    }

    [LoggerMessage(EventId = 5020, Level = LogLevel.Information, Message = "Rewrapped {Count} object key(s) of {Scope} to the newest key version")]
    private static partial void LogRewrapped(ILogger logger, int count, string scope);

    [LoggerMessage(EventId = 5021, Level = LogLevel.Warning, Message = "Object {ObjectId} could not be rewrapped ({Reason}); retrying on the next pass")]
    private static partial void LogSkipped(ILogger logger, string objectId, string reason);
}
