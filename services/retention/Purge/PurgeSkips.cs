using Npgsql;
using Platform.Messaging;
using Platform.Retention.Events;
using Platform.Retention.Policies;

namespace Platform.Retention.Purge;

/// <summary>A purged class of an organization: its policy in force and how long its items live under it.</summary>
internal sealed record ExpiringClass(EffectivePolicy Policy, TimeSpan Lifetime);

/// <summary>
/// "Purges skip held items and say so in their receipts" (issue 16 item 4): an expired item an active legal hold keeps
/// gets one signed <c>skipped</c> receipt per hold — <c>skipped: legal hold &lt;id&gt;</c> — stored beside the deletion
/// receipts (the receipts API lists both) and written to the audit log as <c>retention.item.skipped</c>. Once per
/// item and hold, never every pass (the partial unique index <c>purge_receipts_skipped</c>); a hold released and
/// another placed is a new receipt.
/// </summary>
internal sealed partial class PurgeSkips(NpgsqlDataSource dataSource, ReceiptSigner signer, IOutbox outbox, ILogger<PurgeSkips> logger)
{
    public const string SkippedAction = "retention.item.skipped";
    private const int Batch = 1000;

    /// <summary>Storage's expired objects of <paramref name="organizationId"/> that an active hold keeps and that have no receipt for that hold yet.</summary>
    public async Task RecordObjectsAsync(string organizationId, IReadOnlyList<ExpiringClass> classes, DateTimeOffset now, CancellationToken cancellationToken)
    {
        if (classes.Count == 0) return;
        var byClass = classes.ToDictionary(c => c.Policy.Rule.DataClass);
        var skipped = new List<SkipReceipt>();
        await using (var command = dataSource.CreateCommand("""
            SELECT t.object_id, t.data_class, t.dataset_id,
                   CASE WHEN c.zero AND t.processed_at IS NOT NULL THEN least(t.processed_at, t.stored_at + c.lifetime) ELSE t.stored_at + c.lifetime END, h.id
            FROM unnest($2::text[], $3::interval[], $4::boolean[]) AS c(data_class, lifetime, zero)
            JOIN tracked_objects t ON t.organization_id = $1 AND t.data_class = c.data_class AND t.gone_at IS NULL
                AND (t.stored_at + c.lifetime <= $5 OR (c.zero AND t.processed_at IS NOT NULL))
            JOIN legal_holds h ON h.organization_id = $1 AND h.released_at IS NULL
                AND (h.scope = 'organization' OR (h.scope = 'data_class' AND h.target = t.data_class)
                     OR (h.scope = 'dataset' AND h.target = t.dataset_id) OR (h.scope = 'user' AND h.target = t.stored_by))
            WHERE NOT EXISTS (SELECT 1 FROM purge_receipts r WHERE r.kind = 'skipped' AND r.item_id = t.object_id AND r.hold_id = h.id)
            ORDER BY t.stored_at LIMIT $6
            """))
        {
            command.Parameters.Add(new() { Value = organizationId });
            command.Parameters.Add(new() { Value = classes.Select(c => c.Policy.Rule.DataClass).ToArray() });
            command.Parameters.Add(new() { Value = classes.Select(c => c.Lifetime).ToArray() });
            command.Parameters.Add(new() { Value = classes.Select(c => c.Policy.Days == 0).ToArray() });
            command.Parameters.Add(new() { Value = now });
            command.Parameters.Add(new() { Value = Batch });
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var dataClass = reader.GetString(1);
                skipped.Add(Receipt(organizationId, reader.GetString(0), byClass[dataClass].Policy, reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4), now));
            }
        }

        await StoreAsync(skipped, cancellationToken);
    }

    /// <summary>An organization's whole log class (the audit service's), kept by <paramref name="holdId"/>: at most one receipt per hold.</summary>
    public Task RecordClassAsync(string organizationId, EffectivePolicy policy, DateTimeOffset cutoff, string holdId, DateTimeOffset now, CancellationToken cancellationToken) =>
        StoreAsync([Receipt(organizationId, LogPurges.ItemId(organizationId, policy.Rule.DataClass), policy, null, cutoff, holdId, now)], cancellationToken);

    private static SkipReceipt Receipt(string organizationId, string itemId, EffectivePolicy policy, string? datasetId, DateTimeOffset expiredAt, string holdId, DateTimeOffset now) =>
        new(1, "skipped", itemId, organizationId, policy.Rule.Owner, policy.Rule.DataClass, datasetId, expiredAt, $"legal hold {holdId}", holdId, PurgePass.PolicyText(policy), now);

    /// <summary>Signs and stores the receipts not stored yet, and audits those, in one transaction.</summary>
    private async Task StoreAsync(List<SkipReceipt> receipts, CancellationToken cancellationToken)
    {
        if (receipts.Count == 0) return;
        var signed = receipts.Select(r => (Receipt: r, Signed: signer.SignRecord(r))).ToList();
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var stored = new HashSet<(string, string)>();
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO purge_receipts (kind, item_id, organization_id, owner, data_class, dataset_id, expired_at, hold_id, policy, purge_id, receipt, signature, recorded_at)
            SELECT 'skipped', r.item_id, r.organization_id, r.owner, r.data_class, r.dataset_id, r.expired_at, r.hold_id, r.policy, 'skip_' || r.hold_id, r.receipt, r.signature, r.recorded_at
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::timestamptz[], $7::text[], $8::text[], $9::text[], $10::text[], $11::timestamptz[])
                AS r(item_id, organization_id, owner, data_class, dataset_id, expired_at, hold_id, policy, receipt, signature, recorded_at)
            ON CONFLICT (item_id, hold_id) WHERE kind = 'skipped' DO NOTHING
            RETURNING item_id, hold_id
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.ItemId).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.OrganizationId).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.Owner).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.DataClass).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.DatasetId).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.ExpiredAt).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.HoldId).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.Policy).ToArray() });
            insert.Parameters.Add(new() { Value = signed.Select(s => s.Signed.Text).ToArray() });
            insert.Parameters.Add(new() { Value = signed.Select(s => s.Signed.Signature).ToArray() });
            insert.Parameters.Add(new() { Value = receipts.Select(r => r.RecordedAt).ToArray() });
            await using var reader = await insert.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) stored.Add((reader.GetString(0), reader.GetString(1)));
        }

        var events = signed.Where(s => stored.Contains((s.Receipt.ItemId, s.Receipt.HoldId))).Select(s => (IntegrationEvent)new AuditRecorded
        {
            OccurredAt = s.Receipt.RecordedAt, OrganizationId = s.Receipt.OrganizationId, Actor = PurgePass.Actor, Action = SkippedAction, Target = s.Receipt.ItemId,
            Outcome = "success",
            Details = new Dictionary<string, string>
            {
                ["dataClass"] = s.Receipt.DataClass, ["expiredAt"] = s.Receipt.ExpiredAt.ToString("O"), ["holdId"] = s.Receipt.HoldId,
                ["policy"] = s.Receipt.Policy, ["receiptSignature"] = s.Signed.Signature,
            },
        }).ToList();
        if (events.Count > 0) await outbox.EnqueueAsync(events, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        if (events.Count > 0) LogSkipped(logger, events.Count, receipts[0].OrganizationId);
    }

    [LoggerMessage(EventId = 1645, Level = LogLevel.Information, Message = "{Count} expired items of {OrganizationId} kept by legal holds: skipped receipts signed")]
    private static partial void LogSkipped(ILogger logger, int count, string organizationId);
}

/// <summary>
/// An expired item a legal hold keeps (version 1; the field order is the signed text's): <see cref="Skipped"/> reads
/// <c>legal hold &lt;id&gt;</c>.
/// </summary>
public sealed record SkipReceipt(
    int Version, string Kind, string ItemId, string OrganizationId, string Owner, string DataClass, string? DatasetId, DateTimeOffset ExpiredAt,
    string Skipped, string HoldId, string Policy, DateTimeOffset RecordedAt);
