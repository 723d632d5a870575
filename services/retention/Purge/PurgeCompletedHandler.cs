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
internal sealed partial class PurgeCompletedHandler(ReceiptSigner signer, IOutbox outbox, TimeProvider time, ILogger<PurgeCompletedHandler> logger)
    : IIntegrationEventHandler<PurgeCompleted>
{
    public const string PurgedAction = "retention.item.purged";
    public const string RefusedAction = "retention.purge.refused";

    public async Task HandleAsync(PurgeCompleted completed, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (completed.OrganizationId is not { } organizationId) return;
        var now = time.GetUtcNow();
        var events = new List<IntegrationEvent>();
        foreach (var outcome in completed.Items)
        {
            if (await AskedAsync(organizationId, completed.Owner, outcome.ItemId, context, cancellationToken) is not { } asked) continue;
            switch (outcome.Outcome)
            {
                case PurgeOutcomes.Deleted:
                    var receipt = new DeletionReceipt(1, outcome.ItemId, organizationId, completed.Owner, asked.DataClass, asked.DatasetId, asked.ExpiredAt,
                        outcome.DeletedAt ?? completed.OccurredAt, asked.Policy, outcome.DestroyedKey, completed.PurgeId);
                    var (text, signature) = signer.Sign(receipt);
                    await StoreAsync(receipt, text, signature, now, context, cancellationToken);
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

            await using var gone = new NpgsqlCommand("UPDATE tracked_objects SET gone_at = $2 WHERE object_id = $1 AND gone_at IS NULL", context.Connection, context.Transaction);
            gone.Parameters.Add(new() { Value = outcome.ItemId });
            gone.Parameters.Add(new() { Value = outcome.DeletedAt ?? now });
            await gone.ExecuteNonQueryAsync(cancellationToken);
        }

        if (events.Count > 0) await outbox.EnqueueAsync(events, context.Transaction, cancellationToken);
    }

    private sealed record Asked(string DataClass, string DatasetId, DateTimeOffset ExpiredAt, string Policy);

    private static async Task<Asked?> AskedAsync(string organizationId, string owner, string itemId, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT data_class, dataset_id, expired_at, purge_policy FROM tracked_objects
            WHERE object_id = $1 AND organization_id = $2 AND purge_requested_at IS NOT NULL AND expired_at IS NOT NULL
            """, context.Connection, context.Transaction);
        command.Parameters.Add(new() { Value = itemId });
        command.Parameters.Add(new() { Value = organizationId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken)) return null;
        var asked = new Asked(reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), reader.GetString(3));
        return DataClasses.All.Any(c => c.Name == asked.DataClass && c.Owner == owner) ? asked : null;
    }

    private static async Task StoreAsync(DeletionReceipt receipt, string text, string signature, DateTimeOffset now, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var insert = new NpgsqlCommand("""
            INSERT INTO purge_receipts (item_id, organization_id, owner, data_class, dataset_id, expired_at, deleted_at, policy, destroyed_key, purge_id, receipt, signature, recorded_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT (item_id) DO NOTHING
            """, context.Connection, context.Transaction);
        foreach (var value in new object?[] { receipt.ItemId, receipt.OrganizationId, receipt.Owner, receipt.DataClass, receipt.DatasetId, receipt.ExpiredAt, receipt.DeletedAt,
            receipt.Policy, receipt.DestroyedKey, receipt.PurgeId, text, signature, now })
        {
            insert.Parameters.Add(new() { Value = value ?? DBNull.Value });
        }

        await insert.ExecuteNonQueryAsync(cancellationToken);
    }

    private static AuditRecorded Audit(string organizationId, string action, string target, string outcome, DateTimeOffset now, Dictionary<string, string> details) => new()
    {
        OccurredAt = now, OrganizationId = organizationId, Actor = PurgePass.Actor, Action = action, Target = target, Outcome = outcome, Details = details,
    };

    [LoggerMessage(EventId = 1644, Level = LogLevel.Warning, Message = "{Owner} refused to purge {ItemId} of {OrganizationId}")]
    private static partial void LogRefused(ILogger logger, string itemId, string organizationId, string owner);
}
