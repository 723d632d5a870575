using Platform.Messaging;

namespace Platform.Audit.Events;

/// <summary>
/// Many <see cref="AuditRecorded"/> events in one message, as the gateway sends one per API request: the broker and
/// the inbox pay once per batch. Each event keeps its own id, so a batch delivered twice stores every event once.
/// </summary>
[IntegrationEvent("audit.batch-recorded", MustBeRouted = true)]
public sealed record AuditBatchRecorded : IntegrationEvent
{
    /// <summary>The most events one message may carry; a larger batch is dead-lettered, not stored in part.</summary>
    public const int MaxEvents = 1000;

    public required IReadOnlyList<AuditRecorded> Events { get; init; }
}
