using Platform.Messaging;

namespace Platform.Residency.Events;

/// <summary>
/// An entry for the audit trail (SPEC AUD-INGEST). The audit service owns the contract (services/audit/Events);
/// publishers keep their own copy of the record: the wire name and fields are what must match.
/// </summary>
[IntegrationEvent("audit.recorded", MustBeRouted = true)]
public sealed record AuditRecorded : IntegrationEvent
{
    public required string Actor { get; init; }

    public required string Action { get; init; }

    public string? Target { get; init; }

    public required string Outcome { get; init; }

    public string? Ip { get; init; }

    public string? RequestId { get; init; }

    public string? UserAgent { get; init; }

    public string? Region { get; init; }

    public IReadOnlyDictionary<string, string>? Details { get; init; }
}
