using Platform.Keys.Organizations;

namespace Platform.Keys.Apis;

// Requests and responses of /v1/organizations/{organizationId}/network-policy and its internal twin.

/// <summary>The whole allowlist (PUT replaces it); <c>[]</c> lifts the restriction.</summary>
public sealed record NetworkPolicyRequest(IReadOnlyList<string?> AllowedCidrs);

/// <summary>An organization's allowlist; <see cref="UpdatedAt"/> is null when it was never set.</summary>
public sealed record NetworkPolicyResponse(string OrganizationId, IReadOnlyList<string> AllowedCidrs, DateTimeOffset? UpdatedAt)
{
    internal static NetworkPolicyResponse From(NetworkPolicy policy) => new(policy.OrganizationId, policy.AllowedCidrs, policy.UpdatedAt);
}

/// <summary>What the gateway needs to enforce the allowlist: the ranges, empty for no restriction.</summary>
public sealed record InternalNetworkPolicyResponse(IReadOnlyList<string> AllowedCidrs);
