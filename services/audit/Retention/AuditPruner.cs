using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Audit.Log;
using Platform.Security.Authentication;

namespace Platform.Audit.Retention;

/// <summary>
/// Prunes each log's entries past its organization's retention period (README "Retention"), every
/// <see cref="RetentionOptions.PruneInterval"/> of the injected clock. Only whole checkpointed ranges go: the log is
/// cut at the largest signed tree size whose every entry is older than the period, so what remains starts at a size
/// a checkpoint committed to. The complete subtrees that stand for the pruned leaves (the log's right edge at that
/// size) are kept, and every subtree reaching past the cut: verification of what remains, inclusion proofs of it and
/// consistency proofs from any later size still work.
/// </summary>
internal sealed partial class AuditPruner(
    NpgsqlDataSource dataSource, IOptions<RetentionOptions> options, ISecurityAudit audit, TimeProvider time, ILogger<AuditPruner> logger) : BackgroundService
{
    public const string PrunedAction = "audit.log.pruned";
    public const string Actor = "audit:retention";
    private readonly RetentionOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.PruneInterval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await PruneAsync(stoppingToken);
            }
            catch (Exception exception) when (exception is NpgsqlException or TimeoutException or InvalidOperationException)
            {
                LogPassFailed(logger, exception.GetType().Name);
            }
        }
    }

    /// <summary>Prunes every log as far as its period allows; returns the number of entries removed.</summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        var logs = new List<(string LogId, long Size, long PrunedBefore, int Days)>();
        await using (var select = dataSource.CreateCommand(
            "SELECT l.log_id, l.size, l.pruned_before, r.days FROM audit_logs l LEFT JOIN audit_retention r ON r.organization_id = l.log_id"))
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                logs.Add((reader.GetString(0), reader.GetInt64(1), reader.GetInt64(2), reader.IsDBNull(3) ? settings.DefaultDays : reader.GetInt32(3)));
            }
        }

        long removed = 0;
        foreach (var log in logs)
        {
            var cutoff = time.GetUtcNow() - TimeSpan.FromDays(log.Days);
            if (await CutAsync(log.LogId, log.Size, log.PrunedBefore, cutoff, cancellationToken) is not { } cut) continue;
            var count = await PruneLogAsync(log.LogId, cut, cancellationToken);
            removed += count;
            LogPruned(logger, log.LogId, cut, count);
            await audit.RecordAsync(new SecurityAuditEntry(Actor, PrunedAction, log.LogId == LogIds.None ? null : log.LogId, log.LogId == LogIds.None ? null : log.LogId,
                "success", null, null, new()
                {
                    ["prunedBefore"] = cut.ToString(CultureInfo.InvariantCulture),
                    ["entries"] = count.ToString(CultureInfo.InvariantCulture),
                    ["days"] = log.Days.ToString(CultureInfo.InvariantCulture),
                }), cancellationToken);
        }

        return removed;
    }

    /// <summary>The largest checkpointed size at or before the first entry young enough to keep; null when that prunes nothing new.</summary>
    private async Task<long?> CutAsync(string logId, long size, long prunedBefore, DateTimeOffset cutoff, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT max(tree_size) FROM audit_checkpoints
            WHERE log_id = $1 AND tree_size <= (SELECT coalesce(min(leaf_index), $3) FROM audit_events WHERE log_id = $1 AND leaf_index >= $4 AND occurred_at >= $2)
            """);
        command.Parameters.Add(new() { Value = logId });
        command.Parameters.Add(new() { Value = cutoff });
        command.Parameters.Add(new() { Value = size });
        command.Parameters.Add(new() { Value = prunedBefore });
        return await command.ExecuteScalarAsync(cancellationToken) is long cut && cut > prunedBefore ? cut : null;
    }

    private async Task<long> PruneLogAsync(string logId, long cut, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        // The log's row lock: appends and other replicas' pruners wait, and a cut already made is not made again.
        await using (var lockLog = new NpgsqlCommand("SELECT pruned_before FROM audit_logs WHERE log_id = $1 FOR UPDATE", connection, transaction))
        {
            lockLog.Parameters.Add(new() { Value = logId });
            if (await lockLog.ExecuteScalarAsync(cancellationToken) is not long already || already >= cut) return 0;
        }

        long removed;
        await using (var entries = new NpgsqlCommand("DELETE FROM audit_events WHERE log_id = $1 AND leaf_index < $2", connection, transaction))
        {
            entries.Parameters.Add(new() { Value = logId });
            entries.Parameters.Add(new() { Value = cut });
            removed = await entries.ExecuteNonQueryAsync(cancellationToken);
        }

        var kept = MerkleTree.Frontier(cut);
        await using (var nodes = new NpgsqlCommand("""
            DELETE FROM audit_log_nodes WHERE log_id = $1 AND ((index + 1) << level) <= $2
              AND (level, index) NOT IN (SELECT * FROM unnest($3::int[], $4::bigint[]))
            """, connection, transaction))
        {
            nodes.Parameters.Add(new() { Value = logId });
            nodes.Parameters.Add(new() { Value = cut });
            nodes.Parameters.Add(new() { Value = kept.Select(k => k.Level).ToArray() });
            nodes.Parameters.Add(new() { Value = kept.Select(k => k.Index).ToArray() });
            await nodes.ExecuteNonQueryAsync(cancellationToken);
        }

        await using (var update = new NpgsqlCommand("UPDATE audit_logs SET pruned_before = $2 WHERE log_id = $1", connection, transaction))
        {
            update.Parameters.Add(new() { Value = logId });
            update.Parameters.Add(new() { Value = cut });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        return removed;
    }

    [LoggerMessage(EventId = 4340, Level = LogLevel.Information, Message = "Pruned audit log {Log} before leaf {Cut} ({Count} entries)")]
    private static partial void LogPruned(ILogger logger, string log, long cut, long count);

    [LoggerMessage(EventId = 4341, Level = LogLevel.Warning, Message = "Audit log pruning pass failed ({Reason}); the next tick tries again")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
