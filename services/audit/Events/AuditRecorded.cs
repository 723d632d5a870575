using Platform.Messaging;

namespace Platform.Audit.Events;

/// <summary>
/// Something a service or the gateway did or saw, for the audit trail (SPEC AUD-INGEST). Publishers keep their
/// own copy of this record; the wire name and fields are the contract.
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
