using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Data;
using Platform.Retention.Events;
using Platform.Retention.Model;
using Platform.Retention.Policies;

namespace Platform.Retention.Purge;

/// <summary>
/// One look for expired items (SPEC RET-PURGE): per organization with candidates, its policy per purged class (a
/// 0-day policy means <see cref="PurgeOptions.ZeroRetentionGrace"/> after storing) and its active legal holds, which
/// keep what they cover out of every request (the organization, a class, a dataset, what a user stored). Batch after
/// batch, one per organization and class in turn, until nothing expired is left or <see cref="PurgeOptions.MaxInFlight"/>
/// items await an answer (then the next pass comes after <see cref="PurgeOptions.BusyInterval"/>). The chosen
/// items are marked requested and a <c>purge.requested</c> event per batch is written in the same transaction; an
/// item asked for before and not answered is asked for again after a backoff, and from
/// <see cref="PurgeOptions.AlertAfterAttempts"/> on that is an error log and an audit event (never forgotten).
/// </summary>
internal sealed partial class PurgePass(
    NpgsqlDataSource dataSource, PolicyManager policies, HoldStore holds, PurgeSkips skips, LogPurges logPurges, IOutbox outbox, IOptions<PurgeOptions> options,
    TimeProvider time, ILogger<PurgePass> logger)
    : IScheduledPass
{
    public string Name => "purge";

    public TimeSpan Interval => options.Value.Interval;

    public TimeSpan BusyInterval => options.Value.BusyInterval;

    public async Task<bool> RunScheduledAsync(CancellationToken cancellationToken) => (await RunAsync(cancellationToken)).WorkLeft;

    public const string Actor = "retention:purge";
    public const string OverdueAction = "retention.purge.overdue";

    /// <summary>How many items were asked for, and whether expired items were left for the next pass (the in-flight bound was reached).</summary>
    public async Task<PurgePassResult> RunAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var now = time.GetUtcNow();
        var work = new List<PurgeWork>();
        var storageClasses = settings.EffectiveClasses.Where(c => DataClasses.OwnedBy("storage").Contains(c)).ToArray();
        foreach (var organizationId in await CandidatesAsync(now - settings.ZeroRetentionGrace, storageClasses, settings, cancellationToken))
        {
            var active = await holds.ListAsync(organizationId, includeReleased: false, cancellationToken);
            var (_, effective) = await policies.GetAsync(organizationId, cancellationToken);
            var expiring = effective.Where(p => storageClasses.Contains(p.Rule.DataClass) && p.Days is not null)
                .Select(p => (Policy: p, Lifetime: p.Days == 0 ? settings.ZeroRetentionGrace : TimeSpan.FromDays(p.Days!.Value))).ToList();

            // Expired items a hold keeps: a signed "skipped" receipt once per item and hold (never every pass).
            if (active.Count > 0) await skips.RecordObjectsAsync(organizationId, [.. expiring.Select(e => new ExpiringClass(e.Policy, e.Lifetime))], now, cancellationToken);
            if (active.Any(h => h.Scope == HoldScopes.Organization)) continue;
            var heldDatasets = Targets(active, HoldScopes.Dataset);
            var heldUsers = Targets(active, HoldScopes.User);
            foreach (var (policy, lifetime) in expiring)
            {
                if (active.Any(h => h.Scope == HoldScopes.DataClass && h.Target == policy.Rule.DataClass)) continue;
                work.Add(new PurgeWork(organizationId, policy, lifetime, heldDatasets, heldUsers));
            }
        }

        // The audit service's classes: whole classes per organization, at most once per LogInterval (LogPurges).
        await logPurges.RequestAsync(now, cancellationToken);

        // Round after round, one batch per organization and class in turn (fair: a large organization does not starve a
        // small one), until nothing expired is left or the in-flight bound is reached.
        var room = settings.MaxInFlight - await InFlightAsync(now, cancellationToken);
        var requested = 0;
        while (work.Count > 0 && room > 0)
        {
            foreach (var item in work.ToArray())
            {
                if (room <= 0) break;
                var size = Math.Min(settings.BatchSize, room);
                var count = await RequestAsync(item, size, now, cancellationToken);
                requested += count;
                room -= count;
                if (count < size) work.Remove(item);
            }
        }

        return new PurgePassResult(requested, work.Count > 0);
    }

    /// <summary>Items asked for within the last <see cref="PurgeOptions.RetryDelay"/> and not answered yet.</summary>
    private async Task<int> InFlightAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM tracked_objects WHERE gone_at IS NULL AND purge_requested_at > $1");
        command.Parameters.Add(new() { Value = now - options.Value.RetryDelay });
        return (int)(long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private sealed record PurgeWork(string OrganizationId, EffectivePolicy Policy, TimeSpan Lifetime, string[] HeldDatasets, string[] HeldUsers);

    private async Task<List<string>> CandidatesAsync(DateTimeOffset storedBefore, string[] classes, PurgeOptions settings, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT DISTINCT organization_id FROM tracked_objects
            WHERE gone_at IS NULL AND data_class = ANY($1) AND (stored_at <= $2 OR processed_at IS NOT NULL) AND {Due}
            LIMIT 10000
            """);
        command.Parameters.Add(new() { Value = classes });
        command.Parameters.Add(new() { Value = storedBefore });
        AddBackoff(command, settings, time.GetUtcNow());
        var organizations = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) organizations.Add(reader.GetString(0));
        return organizations;
    }

    // Never asked, or asked and unanswered for RetryDelay·2^(attempts-1), at most MaxRetryDelay.
    private const string Due = """
        (purge_requested_at IS NULL OR purge_requested_at + LEAST(make_interval(secs => $3 * power(2, purge_attempts - 1)), make_interval(secs => $4)) <= $5)
        """;

    private static void AddBackoff(NpgsqlCommand command, PurgeOptions settings, DateTimeOffset now)
    {
        command.Parameters.Add(new() { Value = settings.RetryDelay.TotalSeconds });
        command.Parameters.Add(new() { Value = settings.MaxRetryDelay.TotalSeconds });
        command.Parameters.Add(new() { Value = now });
    }

    private async Task<int> RequestAsync(PurgeWork work, int batchSize, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var (organizationId, policy, lifetime, heldDatasets, heldUsers) = work;
        var settings = options.Value;
        var purgeId = $"purge_{Guid.CreateVersion7(now):n}";
        var policyText = PolicyText(policy);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using var select = new NpgsqlCommand($"""
            UPDATE tracked_objects t SET purge_id = $9, purge_requested_at = $5, purge_attempts = t.purge_attempts + 1,
                expired_at = CASE WHEN $13 AND t.processed_at IS NOT NULL THEN least(t.processed_at, t.stored_at + $10) ELSE t.stored_at + $10 END, purge_policy = $11
            FROM (SELECT object_id FROM tracked_objects
                  WHERE organization_id = $6 AND data_class = $1 AND gone_at IS NULL AND (stored_at <= $2 OR ($13 AND processed_at IS NOT NULL)) AND {Due}
                    AND dataset_id <> ALL($7) AND stored_by <> ALL($8)
                  ORDER BY stored_at LIMIT $12 FOR UPDATE SKIP LOCKED) due
            WHERE t.object_id = due.object_id
            RETURNING t.object_id, t.expired_at, t.purge_attempts
            """, connection, transaction);
        select.Parameters.Add(new() { Value = policy.Rule.DataClass });
        select.Parameters.Add(new() { Value = now - lifetime });
        AddBackoff(select, settings, now);
        // $13: a zero-retention policy, under which an item the product marked processed is due at once (issue 16 item 2).
        foreach (var value in new object[] { organizationId, heldDatasets, heldUsers, purgeId, lifetime, policyText, batchSize, policy.Days == 0 }) select.Parameters.Add(new() { Value = value });
        var items = new List<PurgeItem>();
        var overdue = 0;
        await using (var reader = await select.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                items.Add(new PurgeItem(reader.GetString(0), policy.Rule.DataClass, reader.GetFieldValue<DateTimeOffset>(1), policyText));
                if (reader.GetInt32(2) > settings.AlertAfterAttempts) overdue++;
            }
        }

        if (items.Count == 0) return 0;
        var events = new List<IntegrationEvent>
        {
            new PurgeRequested { OrganizationId = organizationId, OccurredAt = now, PurgeId = purgeId, Owner = policy.Rule.Owner, Items = items },
        };
        if (overdue > 0)
        {
            events.Add(new AuditRecorded
            {
                OccurredAt = now, OrganizationId = organizationId, Actor = Actor, Action = OverdueAction, Target = purgeId, Outcome = "failure",
                Details = new Dictionary<string, string> { ["dataClass"] = policy.Rule.DataClass, ["overdueItems"] = overdue.ToString(CultureInfo.InvariantCulture), ["owner"] = policy.Rule.Owner },
            });
            LogOverdue(logger, overdue, organizationId, policy.Rule.Owner, purgeId);
        }

        await outbox.EnqueueAsync(events, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRequested(logger, purgeId, items.Count, policy.Rule.DataClass, organizationId);
        return items.Count;
    }

    internal static string PolicyText(EffectivePolicy policy) =>
        string.Create(CultureInfo.InvariantCulture, $"{policy.Rule.DataClass}: {policy.Days} days ({policy.Source}, {policy.Plan} plan)");

    private static string[] Targets(IEnumerable<LegalHold> active, string scope) => active.Where(h => h.Scope == scope).Select(h => h.Target).ToArray();

    [LoggerMessage(EventId = 1641, Level = LogLevel.Information, Message = "Purge {PurgeId}: {Count} expired {DataClass} items of {OrganizationId} requested")]
    private static partial void LogRequested(ILogger logger, string purgeId, int count, string dataClass, string organizationId);

    [LoggerMessage(EventId = 1642, Level = LogLevel.Error, Message = "{Count} items of {OrganizationId} are still not purged by {Owner} after repeated requests; asked again as {PurgeId}")]
    private static partial void LogOverdue(ILogger logger, int count, string organizationId, string owner, string purgeId);
}

/// <summary>What one purge pass did: items asked for, and whether expired items were left for the next pass.</summary>
internal readonly record struct PurgePassResult(int Requested, bool WorkLeft);
