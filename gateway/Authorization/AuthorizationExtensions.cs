using Microsoft.AspNetCore.Authorization;
using Platform.Gateway.Organizations;

namespace Platform.Gateway.Authorization;

internal static class AuthorizationExtensions
{
    /// <summary>The policy every request is held to, whether its YARP route names it (<c>AuthorizationPolicy: platform</c>) or not.</summary>
    public const string PolicyName = "platform";

    /// <summary>
    /// ASP.NET Core authorization with one policy built from route metadata (SPEC GW-AUTH): the route's own
    /// requirements (<see cref="RouteAccessRequirement"/>), then the allowlist of the principal's organization
    /// (<see cref="OrganizationAllowlistRequirement"/>). It is the default and the fallback policy, so every endpoint
    /// — YARP routes, security.txt, unknown paths — is authorized; refusals are problems (<see cref="ProblemResultHandler"/>).
    /// </summary>
    public static IHostApplicationBuilder AddGatewayAuthorization(this IHostApplicationBuilder builder)
    {
        var policy = new AuthorizationPolicyBuilder()
            .AddRequirements(RouteAccessRequirement.Instance, OrganizationAllowlistRequirement.Instance)
            .Build();
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(PolicyName, policy)
            .SetDefaultPolicy(policy)
            .SetFallbackPolicy(policy)
            // The first refusal ends it: a route refused for its own requirements is neither checked against the
            // organization's allowlist nor audited as such.
            .SetInvokeHandlersAfterFailure(false);
        builder.Services.AddSingleton<IAuthorizationHandler, RouteAccessHandler>();
        builder.Services.AddSingleton<IAuthorizationHandler, OrganizationAllowlistHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemResultHandler>();
        return builder;
    }
}
