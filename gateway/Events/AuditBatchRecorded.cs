using Platform.Messaging;

namespace Platform.Gateway.Events;

/// <summary>
/// Many of the gateway's <see cref="AuditRecorded"/> events in one message (SPEC GW-AUDIT at request rate): the broker
/// and the audit service's inbox pay once per batch, not once per request. Each event keeps its own id, so a batch
/// published twice stores every event once.
/// </summary>
[IntegrationEvent("audit.batch-recorded")]
public sealed record AuditBatchRecorded : IntegrationEvent
{
    public required IReadOnlyList<AuditRecorded> Events { get; init; }
}
