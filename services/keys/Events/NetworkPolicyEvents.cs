using Platform.Messaging;

namespace Platform.Keys.Events;

/// <summary>
/// An organization's IP allowlist changed (SPEC GW-IP). Counts, not the ranges: a consumer that needs them asks
/// <c>/internal/v1/organizations/{id}/network-policy</c>.
/// </summary>
[IntegrationEvent("organization.network-policy.changed")]
public sealed record NetworkPolicyChanged : IntegrationEvent
{
    public required int PreviousCount { get; init; }

    /// <summary>How many ranges are allowed now; 0 means the organization is no longer restricted.</summary>
    public required int Count { get; init; }
}
