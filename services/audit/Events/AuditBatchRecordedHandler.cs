using Platform.Audit.Data;
using Platform.Messaging;

namespace Platform.Audit.Events;

/// <summary>
/// Stores the events of many batches in one statement. A batch with an event that could never be stored (no id, no
/// time, too many events) fails as a whole, so that it ends among the dead letters intact rather than stored in part.
/// </summary>
internal sealed class AuditBatchRecordedHandler(AuditStore store) : IBatchIntegrationEventHandler<AuditBatchRecorded>
{
    public async Task HandleAsync(IReadOnlyList<AuditBatchRecorded> batches, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        foreach (var batch in batches) Validate(batch);
        var events = batches.SelectMany(b => b.Events).ToList();
        await store.InsertAsync(events, context.Connection, context.Transaction, cancellationToken);
    }

    private static void Validate(AuditBatchRecorded batch)
    {
        if (batch.Events is not { Count: > 0 and <= AuditBatchRecorded.MaxEvents })
        {
            throw new InvalidDataException($"Batch {batch.Id} must carry 1 to {AuditBatchRecorded.MaxEvents} events.");
        }

        foreach (var @event in batch.Events)
        {
            // The same rules as for a single event's envelope: the id becomes a unique key and a log field.
            if (@event is null || !EventIds.IsUsable(@event.Id) || @event.OccurredAt == default)
            {
                throw new InvalidDataException($"Batch {batch.Id} holds an event without a printable id of 1 to 200 characters or without a time.");
            }
        }
    }
}
