using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Retention.Events;

namespace Platform.Retention.Purge;

/// <summary>
/// An owner's answer to a purge, applied once (inbox): for each item of the answering organization that was asked
/// of that owner, a deleted one gets its signed deletion receipt (stored, and written to the audit log as
/// <c>retention.item.purged</c>), an absent one is no longer tracked, a refused one is reported (audit
/// <c>retention.purge.refused</c>) and no longer asked for. An answer about items retention did not ask that
/// organization for changes nothing.
/// </summary>
internal sealed partial class PurgeCompletedHandler(ReceiptSigner signer, LogPurges logPurges, IOutbox outbox, TimeProvider time, ILogger<PurgeCompletedHandler> logger)
    : IIntegrationEventHandler<PurgeCompleted>
{
    public const string PurgedAction = "retention.item.purged";
    public const string RefusedAction = "retention.purge.refused";

    public async Task HandleAsync(PurgeCompleted completed, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (completed.OrganizationId is not { } organizationId) return;
        var now = time.GetUtcNow();
        if (completed.Owner == LogPurges.Owner)
        {
            await LogClassesAnsweredAsync(completed, organizationId, now, context, cancellationToken);
            return;
        }

        var asked = await AskedAsync(organizationId, completed.Owner, completed.Items.Select(o => o.ItemId).Distinct().ToArray(), context, cancellationToken);
        var events = new List<IntegrationEvent>();
        var receipts = new List<StoredReceipt>();
        var gone = new Dictionary<string, DateTimeOffset>();
        foreach (var outcome in completed.Items)
        {
            if (!asked.TryGetValue(outcome.ItemId, out var item) || !gone.TryAdd(outcome.ItemId, outcome.DeletedAt ?? now)) continue;
            switch (outcome.Outcome)
            {
                case PurgeOutcomes.Deleted:
                    var receipt = new DeletionReceipt(1, outcome.ItemId, organizationId, completed.Owner, item.DataClass, item.DatasetId, item.ExpiredAt,
                        outcome.DeletedAt ?? completed.OccurredAt, item.Policy, outcome.DestroyedKey, completed.PurgeId);
                    var (text, signature) = signer.Sign(receipt);
                    receipts.Add(new StoredReceipt(receipt.ItemId, receipt.DataClass, receipt.DatasetId, receipt.ExpiredAt, receipt.DeletedAt, receipt.Policy, receipt.DestroyedKey, text, signature));
                    events.Add(Audit(organizationId, PurgedAction, outcome.ItemId, "success", now, new()
                    {
                        ["dataClass"] = receipt.DataClass, ["expiredAt"] = receipt.ExpiredAt.ToString("O"), ["deletedAt"] = receipt.DeletedAt.ToString("O"),
                        ["policy"] = receipt.Policy, ["destroyedKey"] = receipt.DestroyedKey ?? "", ["purgeId"] = receipt.PurgeId, ["receiptSignature"] = signature,
                    }));
                    break;
                case PurgeOutcomes.Refused:
                    events.Add(Audit(organizationId, RefusedAction, outcome.ItemId, "failure", now, new() { ["owner"] = completed.Owner, ["purgeId"] = completed.PurgeId }));
                    LogRefused(logger, outcome.ItemId, organizationId, completed.Owner);
                    break;
            }
        }

        // The whole answer in three statements, whatever its size: the receipts, the items no longer tracked, the events.
        await StoreAsync(receipts, organizationId, completed, now, context, cancellationToken);
        await using (var update = new NpgsqlCommand("""
            UPDATE tracked_objects t SET gone_at = g.gone_at FROM unnest($1::text[], $2::timestamptz[]) AS g(object_id, gone_at)
            WHERE t.object_id = g.object_id AND t.gone_at IS NULL
            """, context.Connection, context.Transaction))
        {
            update.Parameters.Add(new() { Value = gone.Keys.ToArray() });
            update.Parameters.Add(new() { Value = gone.Values.ToArray() });
            await update.ExecuteNonQueryAsync(cancellationToken);
        }

        if (events.Count > 0) await outbox.EnqueueAsync(events, context.Transaction, cancellationToken);
    }

    private sealed record Asked(string DataClass, string DatasetId, DateTimeOffset ExpiredAt, string Policy);

    /// <summary>The answered items retention asked this organization, of a class this owner owns, for.</summary>
    private static async Task<Dictionary<string, Asked>> AskedAsync(string organizationId, string owner, string[] itemIds, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var classes = DataClasses.All.Where(c => c.Owner == owner).Select(c => c.Name).ToArray();
        await using var command = new NpgsqlCommand("""
            SELECT object_id, data_class, dataset_id, expired_at, purge_policy FROM tracked_objects
            WHERE object_id = ANY($1) AND organization_id = $2 AND data_class = ANY($3) AND purge_requested_at IS NOT NULL AND expired_at IS NOT NULL
            """, context.Connection, context.Transaction);
        command.Parameters.Add(new() { Value = itemIds });
        command.Parameters.Add(new() { Value = organizationId });
        command.Parameters.Add(new() { Value = classes });
        var asked = new Dictionary<string, Asked>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
            asked[reader.GetString(0)] = new Asked(reader.GetString(1), reader.GetString(2), reader.GetFieldValue<DateTimeOffset>(3), reader.GetString(4));
        return asked;
    }

    /// <summary>The audit service's answer about whole log classes: a signed receipt per class it deleted from, audited like an item's.</summary>
    private async Task LogClassesAnsweredAsync(PurgeCompleted completed, string organizationId, DateTimeOffset now, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        var signed = await logPurges.AnsweredAsync(completed, organizationId, signer, context, cancellationToken);
        await StoreAsync([.. signed.Select(s => new StoredReceipt(s.Receipt.ItemId, s.Receipt.DataClass, null, s.Receipt.ExpiredBefore, s.Receipt.DeletedAt, s.Receipt.Policy, null, s.Text, s.Signature))],
            organizationId, completed, now, context, cancellationToken);
        var events = signed.Select(s => (IntegrationEvent)Audit(organizationId, PurgedAction, s.Receipt.ItemId, "success", now, new()
        {
            ["dataClass"] = s.Receipt.DataClass, ["expiredAt"] = s.Receipt.ExpiredBefore.ToString("O"), ["deletedAt"] = s.Receipt.DeletedAt.ToString("O"),
            ["policy"] = s.Receipt.Policy, ["entries"] = s.Receipt.Entries.ToString(System.Globalization.CultureInfo.InvariantCulture), ["anchor"] = s.Receipt.Anchor ?? "",
            ["purgeId"] = s.Receipt.PurgeId, ["receiptSignature"] = s.Signature,
        })).ToList();
        foreach (var refused in completed.Items.Where(o => o.Outcome == PurgeOutcomes.Refused))
        {
            events.Add(Audit(organizationId, RefusedAction, LogPurges.ItemId(organizationId, refused.ItemId), "failure", now, new() { ["owner"] = completed.Owner, ["purgeId"] = completed.PurgeId }));
            LogRefused(logger, refused.ItemId, organizationId, completed.Owner);
        }

        if (events.Count > 0) await outbox.EnqueueAsync(events, context.Transaction, cancellationToken);
    }

    /// <summary>A signed deletion receipt as stored: the columns, the signed text and its signature.</summary>
    private sealed record StoredReceipt(
        string ItemId, string DataClass, string? DatasetId, DateTimeOffset ExpiredAt, DateTimeOffset DeletedAt, string Policy, string? DestroyedKey, string Text, string Signature);

    private static async Task StoreAsync(List<StoredReceipt> receipts, string organizationId, PurgeCompleted completed, DateTimeOffset now, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (receipts.Count == 0) return;
        await using var insert = new NpgsqlCommand("""
            INSERT INTO purge_receipts (item_id, organization_id, owner, data_class, dataset_id, expired_at, deleted_at, policy, destroyed_key, purge_id, receipt, signature, recorded_at)
            SELECT r.item_id, $2, $3, r.data_class, r.dataset_id, r.expired_at, r.deleted_at, r.policy, r.destroyed_key, $4, r.receipt, r.signature, $5
            FROM unnest($1::text[], $6::text[], $7::text[], $8::timestamptz[], $9::timestamptz[], $10::text[], $11::text[], $12::text[], $13::text[])
                AS r(item_id, data_class, dataset_id, expired_at, deleted_at, policy, destroyed_key, receipt, signature)
            ON CONFLICT (item_id) WHERE kind = 'deleted' DO NOTHING
            """, context.Connection, context.Transaction);
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.ItemId).ToArray() });
        insert.Parameters.Add(new() { Value = organizationId });
        insert.Parameters.Add(new() { Value = completed.Owner });
        insert.Parameters.Add(new() { Value = completed.PurgeId });
        insert.Parameters.Add(new() { Value = now });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.DataClass).ToArray() });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.DatasetId).ToArray() });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.ExpiredAt).ToArray() });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.DeletedAt).ToArray() });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.Policy).ToArray() });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.DestroyedKey).ToArray() });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.Text).ToArray() });
        insert.Parameters.Add(new() { Value = receipts.Select(r => r.Signature).ToArray() });
        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static AuditRecorded Audit(string organizationId, string action, string target, string outcome, DateTimeOffset now, Dictionary<string, string> details) => new()
    {
        OccurredAt = now, OrganizationId = organizationId, Actor = PurgePass.Actor, Action = action, Target = target, Outcome = outcome, Details = details,
    };

    [LoggerMessage(EventId = 1644, Level = LogLevel.Warning, Message = "{Owner} refused to purge {ItemId} of {OrganizationId}")]
    private static partial void LogRefused(ILogger logger, string itemId, string organizationId, string owner);
}
