using Platform.Audit.Data;
using Platform.Messaging;

namespace Platform.Audit.Events;

/// <summary>Stores audit events as they arrive, many per transaction.</summary>
internal sealed class AuditRecordedHandler(AuditStore store) : IBatchIntegrationEventHandler<AuditRecorded>
{
    public async Task HandleAsync(IReadOnlyList<AuditRecorded> events, IntegrationEventContext context, CancellationToken cancellationToken) =>
        await store.InsertAsync(events, context.Connection, context.Transaction, cancellationToken);
}
