using Platform.Messaging;

namespace Platform.Residency.Events;

/// <summary>An organization's residency changed: gateways drop their cached answer, storage pins new datasets by it.</summary>
[IntegrationEvent("residency.changed")]
public sealed record ResidencyChanged : IntegrationEvent
{
    public required string Mode { get; init; }

    public string? Region { get; init; }

    public required string PreviousMode { get; init; }

    public string? PreviousRegion { get; init; }
}
