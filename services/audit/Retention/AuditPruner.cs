using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Audit.Events;
using Platform.Audit.Log;
using Platform.Security.Authentication;

namespace Platform.Audit.Retention;

/// <summary>
/// Prunes audit logs (README "Retention"): the log without an organization every
/// <see cref="RetentionOptions.PruneInterval"/> of the injected clock, an organization's on retention's purge request. Only whole checkpointed ranges go: the log is
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

    /// <summary>
    /// Prunes the log of events without an organization as far as the default period allows; returns the number of
    /// entries removed. Organizations' logs are pruned on the retention service's purge requests
    /// (<see cref="LogPurgeHandler"/>), which know the organization's policy and legal holds.
    /// </summary>
    public async Task<long> PruneAsync(CancellationToken cancellationToken)
    {
        var cutoff = time.GetUtcNow() - TimeSpan.FromDays(settings.DefaultDays);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var cut = await CutAsync(LogIds.None, cutoff, KeepEveryRequest, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (cut is null) return 0;
        await RecordAsync(LogIds.None, cut, settings.DefaultDays, cancellationToken);
        return cut.Entries;
    }

    /// <summary>A request-log cutoff that expires no <c>http.request</c> entry: they block a cut like any young entry.</summary>
    public static readonly DateTimeOffset KeepEveryRequest = DateTimeOffset.UnixEpoch;

    /// <summary>
    /// Cuts <paramref name="logId"/> at the largest signed tree size before which every entry has expired — an
    /// <c>http.request</c> entry (class <c>request_log</c>) recorded before <paramref name="requestCutoff"/>, any other
    /// (class <c>audit_log</c>) before <paramref name="auditCutoff"/> — in the caller's transaction, under the log's row
    /// lock. Null when that prunes nothing new.
    /// </summary>
    public static async Task<LogCut?> CutAsync(
        string logId, DateTimeOffset auditCutoff, DateTimeOffset requestCutoff, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        // The log's row lock: appends and other replicas' pruners wait, and a cut already made is not made again.
        long size, prunedBefore;
        await using (var lockLog = new NpgsqlCommand("SELECT size, pruned_before FROM audit_logs WHERE log_id = $1 FOR UPDATE", connection, transaction))
        {
            lockLog.Parameters.Add(new() { Value = logId });
            await using var reader = await lockLog.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            (size, prunedBefore) = (reader.GetInt64(0), reader.GetInt64(1));
        }

        long cut;
        byte[] root;
        await using (var find = new NpgsqlCommand($"""
            SELECT tree_size, root_hash FROM audit_checkpoints
            WHERE log_id = $1 AND tree_size <= (SELECT coalesce(min(leaf_index), $3) FROM audit_events
                WHERE log_id = $1 AND leaf_index >= $4 AND occurred_at >= CASE WHEN action = '{AuditDataClasses.RequestLogAction}' THEN $5 ELSE $2 END)
            ORDER BY tree_size DESC, id DESC LIMIT 1
            """, connection, transaction))
        {
            find.Parameters.Add(new() { Value = logId });
            find.Parameters.Add(new() { Value = auditCutoff });
            find.Parameters.Add(new() { Value = size });
            find.Parameters.Add(new() { Value = prunedBefore });
            find.Parameters.Add(new() { Value = requestCutoff });
            await using var reader = await find.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            (cut, root) = (reader.GetInt64(0), reader.GetFieldValue<byte[]>(1));
        }

        if (cut <= prunedBefore) return null;
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

        return new LogCut(prunedBefore, cut, removed, Convert.ToBase64String(root));
    }

    /// <summary>The cut as an <c>audit.log.pruned</c> entry of that log (recorded after the cut's transaction: the entry is appended to the same log).</summary>
    public async Task RecordAsync(string logId, LogCut cut, int days, CancellationToken cancellationToken)
    {
        var entry = PrunedEntry(logId, cut, days, time.GetUtcNow());
        await audit.RecordAsync(new SecurityAuditEntry(entry.Actor, entry.Action, entry.OrganizationId, entry.Target, entry.Outcome, null, null,
            new Dictionary<string, string>(entry.Details!)), cancellationToken);
    }

    /// <summary>The <c>audit.log.pruned</c> entry of a cut, as an event (a purge's answer carries it through the outbox, after its transaction commits).</summary>
    public AuditRecorded PrunedEntry(string logId, LogCut cut, int days, DateTimeOffset now)
    {
        LogPruned(logger, logId, cut.PrunedBefore, cut.Entries);
        return new AuditRecorded
        {
            OccurredAt = now, OrganizationId = logId == LogIds.None ? null : logId, Actor = Actor, Action = PrunedAction, Target = logId == LogIds.None ? null : logId,
            Outcome = "success",
            Details = new Dictionary<string, string>
            {
                ["prunedBefore"] = cut.PrunedBefore.ToString(CultureInfo.InvariantCulture),
                ["entries"] = cut.Entries.ToString(CultureInfo.InvariantCulture),
                ["days"] = days.ToString(CultureInfo.InvariantCulture),
                ["anchorRootHash"] = cut.RootHash,
            },
        };
    }

    [LoggerMessage(EventId = 4340, Level = LogLevel.Information, Message = "Pruned audit log {Log} before leaf {Cut} ({Count} entries)")]
    private static partial void LogPruned(ILogger logger, string log, long cut, long count);

    [LoggerMessage(EventId = 4341, Level = LogLevel.Warning, Message = "Audit log pruning pass failed ({Reason}); the next tick tries again")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}

/// <summary>A cut: the leaves before <see cref="PrunedBefore"/> are gone (<see cref="Entries"/> rows, <see cref="From"/> the previous start), and the
/// signed checkpoint of that size, whose root is <see cref="RootHash"/> (base64), anchors what remains.</summary>
internal sealed record LogCut(long From, long PrunedBefore, long Entries, string RootHash);
