using Platform.Messaging;

namespace Platform.Gateway.Events;

/// <summary>The gateway's copy of the audit contract (SPEC GW-AUDIT, AUD-INGEST): one per API request.</summary>
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
