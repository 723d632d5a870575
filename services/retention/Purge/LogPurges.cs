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
/// Purges of the audit service's classes, <c>audit_log</c> and <c>request_log</c> (README "Purge"): their entries are
/// not tracked one by one here (they are the audit log itself), so an organization's whole class is one item, asked for
/// with a cutoff (its policy's period before now) at most every <see cref="PurgeOptions.LogInterval"/>, retried with the
/// items' backoff while unanswered, and kept in <c>log_purges</c>. A legal hold on the organization or the class keeps
/// it out of the request, with one <c>skipped</c> receipt per hold. The audit service cuts its log only at a signed
/// tree size and never under 90 days for <c>audit_log</c>; its answer says how many entries went and what anchors the
/// rest, and becomes one signed receipt per class and purge.
/// </summary>
internal sealed partial class LogPurges(
    NpgsqlDataSource dataSource, PolicyManager policies, HoldStore holds, PurgeSkips skips, IOutbox outbox, IOptions<PurgeOptions> options, TimeProvider time,
    ILogger<LogPurges> logger)
{
    public const string Owner = "audit";

    /// <summary>The receipt's item id of an organization's whole log class.</summary>
    public static string ItemId(string organizationId, string dataClass) => $"audit:{organizationId}:{dataClass}";

    /// <summary>Asks for every known organization whose log classes are due; returns how many requests were sent.</summary>
    public async Task<int> RequestAsync(DateTimeOffset now, CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var classes = settings.EffectiveClasses.Where(c => DataClasses.OwnedBy(Owner).Contains(c)).ToArray();
        if (classes.Length == 0) return 0;
        var sent = 0;
        foreach (var organizationId in await DueAsync(classes, now, settings, cancellationToken))
        {
            var active = await holds.ListAsync(organizationId, includeReleased: false, cancellationToken);
            var (_, effective) = await policies.GetAsync(organizationId, cancellationToken);
            var items = new List<PurgeItem>();
            foreach (var policy in effective.Where(p => classes.Contains(p.Rule.DataClass) && p.Days is not null))
            {
                var cutoff = now - TimeSpan.FromDays(policy.Days!.Value);
                if (active.FirstOrDefault(h => h.Scope == HoldScopes.Organization || (h.Scope == HoldScopes.DataClass && h.Target == policy.Rule.DataClass)) is { } hold)
                {
                    await skips.RecordClassAsync(organizationId, policy, cutoff, hold.Id, now, cancellationToken);
                    continue;
                }

                items.Add(new PurgeItem(policy.Rule.DataClass, policy.Rule.DataClass, cutoff, PurgePass.PolicyText(policy)));
            }

            if (items.Count == 0) continue;
            await RequestAsync(organizationId, items, now, settings, cancellationToken);
            sent++;
        }

        return sent;
    }

    /// <summary>
    /// The organizations retention knows (objects, policies, plans, holds) with a log class never asked for, answered
    /// more than <see cref="PurgeOptions.LogInterval"/> ago, or unanswered past its backoff.
    /// </summary>
    private async Task<List<string>> DueAsync(string[] classes, DateTimeOffset now, PurgeOptions settings, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT o.organization_id FROM (
                SELECT DISTINCT organization_id FROM tracked_objects UNION SELECT organization_id FROM retention_policies
                UNION SELECT organization_id FROM organization_plans UNION SELECT organization_id FROM legal_holds) o
            WHERE NOT EXISTS (
                SELECT 1 FROM log_purges p WHERE p.organization_id = o.organization_id AND p.data_class = ANY($1)
                  AND CASE WHEN p.answered_at IS NOT NULL THEN p.requested_at + make_interval(secs => $2) > $5
                           ELSE p.requested_at + LEAST(make_interval(secs => $3 * power(2, p.attempts - 1)), make_interval(secs => $4)) > $5 END)
            LIMIT 1000
            """);
        command.Parameters.Add(new() { Value = classes });
        command.Parameters.Add(new() { Value = settings.LogInterval.TotalSeconds });
        command.Parameters.Add(new() { Value = settings.RetryDelay.TotalSeconds });
        command.Parameters.Add(new() { Value = settings.MaxRetryDelay.TotalSeconds });
        command.Parameters.Add(new() { Value = now });
        var organizations = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) organizations.Add(reader.GetString(0));
        return organizations;
    }

    private async Task RequestAsync(string organizationId, List<PurgeItem> items, DateTimeOffset now, PurgeOptions settings, CancellationToken cancellationToken)
    {
        var purgeId = $"purge_{Guid.CreateVersion7(now):n}";
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var attempts = 0;
        await using (var upsert = new NpgsqlCommand("""
            INSERT INTO log_purges AS p (organization_id, data_class, purge_id, cutoff, policy, requested_at)
            SELECT $1, c.data_class, $2, c.cutoff, c.policy, $3 FROM unnest($4::text[], $5::timestamptz[], $6::text[]) AS c(data_class, cutoff, policy)
            ON CONFLICT (organization_id, data_class) DO UPDATE SET purge_id = excluded.purge_id, cutoff = excluded.cutoff, policy = excluded.policy,
                requested_at = excluded.requested_at, attempts = CASE WHEN p.answered_at IS NULL THEN p.attempts + 1 ELSE 1 END, answered_at = NULL
            RETURNING attempts
            """, connection, transaction))
        {
            foreach (var value in new object[] { organizationId, purgeId, now }) upsert.Parameters.Add(new() { Value = value });
            upsert.Parameters.Add(new() { Value = items.Select(i => i.DataClass).ToArray() });
            upsert.Parameters.Add(new() { Value = items.Select(i => i.ExpiredAt).ToArray() });
            upsert.Parameters.Add(new() { Value = items.Select(i => i.Policy).ToArray() });
            await using var reader = await upsert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) attempts = Math.Max(attempts, reader.GetInt32(0));
        }

        var events = new List<IntegrationEvent> { new PurgeRequested { OrganizationId = organizationId, OccurredAt = now, PurgeId = purgeId, Owner = Owner, Items = items } };
        if (attempts > settings.AlertAfterAttempts)
        {
            events.Add(new AuditRecorded
            {
                OccurredAt = now, OrganizationId = organizationId, Actor = PurgePass.Actor, Action = PurgePass.OverdueAction, Target = purgeId, Outcome = "failure",
                Details = new Dictionary<string, string>
                {
                    ["dataClass"] = string.Join(",", items.Select(i => i.DataClass)), ["overdueItems"] = items.Count.ToString(CultureInfo.InvariantCulture), ["owner"] = Owner,
                },
            });
            LogOverdue(logger, organizationId, purgeId, attempts);
        }

        await outbox.EnqueueAsync(events, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        LogRequested(logger, purgeId, string.Join(", ", items.Select(i => i.DataClass)), organizationId);
    }

    /// <summary>
    /// The audit service's answer, in the inbox's transaction: for each class asked of it in that purge, a deletion
    /// becomes a signed receipt (stored, audited <c>retention.item.purged</c> with the count and the anchor); the
    /// request is answered either way. Another purge's, organization's or owner's answer changes nothing.
    /// </summary>
    public async Task<List<(LogDeletionReceipt Receipt, string Text, string Signature)>> AnsweredAsync(
        PurgeCompleted completed, string organizationId, ReceiptSigner signer, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var asked = new Dictionary<string, (DateTimeOffset Cutoff, string Policy)>();
        await using (var answer = new NpgsqlCommand("""
            UPDATE log_purges SET answered_at = $3 WHERE organization_id = $1 AND purge_id = $2 AND answered_at IS NULL AND data_class = ANY($4)
            RETURNING data_class, cutoff, policy
            """, context.Connection, context.Transaction))
        {
            answer.Parameters.Add(new() { Value = organizationId });
            answer.Parameters.Add(new() { Value = completed.PurgeId });
            answer.Parameters.Add(new() { Value = time.GetUtcNow() });
            answer.Parameters.Add(new() { Value = completed.Items.Select(i => i.ItemId).ToArray() });
            await using var reader = await answer.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) asked[reader.GetString(0)] = (reader.GetFieldValue<DateTimeOffset>(1), reader.GetString(2));
        }

        var receipts = new List<(LogDeletionReceipt, string, string)>();
        foreach (var outcome in completed.Items.Where(o => o.Outcome == PurgeOutcomes.Deleted))
        {
            if (!asked.Remove(outcome.ItemId, out var item)) continue;
            var receipt = new LogDeletionReceipt(1, $"{ItemId(organizationId, outcome.ItemId)}:{completed.PurgeId}", organizationId, Owner, outcome.ItemId, item.Cutoff,
                outcome.DeletedAt ?? completed.OccurredAt, item.Policy, outcome.Entries ?? 0, outcome.Anchor, completed.PurgeId);
            var (text, signature) = signer.SignRecord(receipt);
            receipts.Add((receipt, text, signature));
        }

        return receipts;
    }

    [LoggerMessage(EventId = 1646, Level = LogLevel.Information, Message = "Purge {PurgeId}: expired {DataClasses} of {OrganizationId} requested from audit")]
    private static partial void LogRequested(ILogger logger, string purgeId, string dataClasses, string organizationId);

    [LoggerMessage(EventId = 1647, Level = LogLevel.Error, Message = "The audit service has not answered purges of {OrganizationId}'s log classes after {Attempts} requests; asked again as {PurgeId}")]
    private static partial void LogOverdue(ILogger logger, string organizationId, string purgeId, int attempts);
}

/// <summary>
/// The deletion receipt of an organization's log class (version 1; the field order is the signed text's): what
/// expired before <see cref="ExpiredBefore"/>, how many <see cref="Entries"/> went, and the <see cref="Anchor"/> that
/// stands for them in the tamper-evident log.
/// </summary>
public sealed record LogDeletionReceipt(
    int Version, string ItemId, string OrganizationId, string Owner, string DataClass, DateTimeOffset ExpiredBefore, DateTimeOffset DeletedAt, string Policy,
    long Entries, string? Anchor, string PurgeId);
