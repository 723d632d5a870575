using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Keys.Data;
using Platform.Keys.Model;

using Platform.Keys.Security;
using Platform.Security.Authentication;

namespace Platform.Keys.Apis;

/// <summary>
/// An organization's IP allowlist for the gateway (service credential <c>Keys:ServiceTokens</c>, SPEC GW-IP). An
/// organization without one gets an empty list: no restriction.
/// </summary>
public static class InternalNetworkPolicyApi
{
    public static IEndpointRouteBuilder MapInternalNetworkPolicyApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/v1/organizations/{organizationId}/network-policy", GetNetworkPolicy).WithName("GetNetworkPolicyForGateway").RequireAuthorization(KeysPolicies.Gateway);
        return app;
    }

    internal static async Task<Results<Ok<InternalNetworkPolicyResponse>, ProblemHttpResult>> GetNetworkPolicy(
        string organizationId, HttpContext http, NetworkPolicyStore store, CancellationToken cancellationToken)
    {
        if (!OrganizationIds.IsWellFormed(organizationId)) return Problems.Invalid("An organization id is org_ and 1 to 60 letters or digits.");

        var policy = await store.GetAsync(organizationId, cancellationToken);
        return TypedResults.Ok(new InternalNetworkPolicyResponse(policy.AllowedCidrs));
    }
}
