using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Keys.Data;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;
using Platform.Keys.Organizations;

using Platform.Keys.Security;
using Platform.Security.Authentication;

namespace Platform.Keys.Apis;

/// <summary>
/// Organizations' IP allowlists for administrators (SPEC GW-IP), kept here until the identity service owns
/// organizations. The same credentials and checks as the key management API; a refused request changes nothing.
/// </summary>
public static class NetworkPolicyApi
{
    private const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapNetworkPolicyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/organizations/{organizationId}/network-policy").RequireAuthorization(KeysPolicies.ManageKeys);
        api.MapGet("/", GetNetworkPolicy).WithName("GetNetworkPolicy");
        api.MapPut("/", SetNetworkPolicy).WithName("SetNetworkPolicy");
        return app;
    }

    internal static async Task<Results<Ok<NetworkPolicyResponse>, ProblemHttpResult>> GetNetworkPolicy(
        string organizationId, HttpContext http, NetworkPolicyStore store, CancellationToken cancellationToken)
    {

        return TypedResults.Ok(NetworkPolicyResponse.From(await store.GetAsync(organizationId, cancellationToken)));
    }

    /// <summary>Replaces the allowlist: every entry an address or a range without host bits, at most 100, duplicates dropped.</summary>
    internal static async Task<Results<Ok<NetworkPolicyResponse>, ValidationProblem, ProblemHttpResult>> SetNetworkPolicy(
        string organizationId, HttpContext http, NetworkPolicyManager manager, CancellationToken cancellationToken)
    {
        var actor = http.User.Actor()!;

        var (request, present, problem) = await JsonBody.ReadAsync<NetworkPolicyRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return Problems.Invalid("A JSON body { \"allowedCidrs\": [...] } is required; [] lifts the restriction.");

        var errors = new ValidationErrors();
        var cidrs = KeyRules.Cidrs(request!.AllowedCidrs, errors, maxEntries: KeyRules.MaxOrganizationCidrs);
        if (cidrs is null) return Problems.Invalid(errors);

        var policy = await manager.SetAsync(organizationId, cidrs, ChangeContext.From(http, actor), cancellationToken);
        return TypedResults.Ok(NetworkPolicyResponse.From(policy));
    }
}
