using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.Security.Authentication;
using Platform.Security.Tokens;

namespace Microsoft.Extensions.Hosting;

public static class PlatformAuthenticationExtensions
{
    /// <summary>
    /// The platform's authentication schemes behind one default policy scheme that picks, from the headers alone, the
    /// single scheme of the credential the request carries (<see cref="CredentialKinds"/>), and authorization policies
    /// whose refusals are problems and audit events. The service registers an <see cref="ISecurityAudit"/> and, when
    /// it takes operator credentials, an <see cref="IOperatorCredentialSource"/>.
    /// </summary>
    public static AuthorizationBuilder AddPlatformAuthentication(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication(PlatformSchemes.Platform)
            .AddPolicyScheme(PlatformSchemes.Platform, "One credential per request", scheme => scheme.ForwardDefaultSelector = http =>
                CredentialKinds.SchemeFor(http.Request, http.RequestServices.GetService<AccessTokenValidator>() is { Settings.Enabled: true }))
            .AddScheme<AuthenticationSchemeOptions, GatewayPrincipalHandler>(PlatformSchemes.Gateway, null)
            .AddScheme<AuthenticationSchemeOptions, AccessTokenHandler>(PlatformSchemes.AccessToken, null)
            .AddScheme<AuthenticationSchemeOptions, OperatorCredentialHandler>(PlatformSchemes.Operator, null)
            .AddScheme<AuthenticationSchemeOptions, MultipleCredentialsHandler>(PlatformSchemes.Multiple, null);
        builder.Services.TryAddSingleton<IOperatorCredentialSource>(new NoOperatorCredentials());
        builder.Services.AddSingleton<OperatorCredentialSet>();
        builder.Services.AddSingleton<IAuthorizationHandler, PlatformRequirementHandler>();
        builder.Services.AddSingleton<IAuthorizationMiddlewareResultHandler, ProblemAuthorizationResultHandler>();
        return builder.Services.AddAuthorizationBuilder();
    }

    /// <summary>A policy of <see cref="PlatformRequirement"/>s on an authenticated principal.</summary>
    public static AuthorizationBuilder AddPlatformPolicy(this AuthorizationBuilder authorization, string name, params PlatformRequirement[] requirements) =>
        authorization.AddPolicy(name, policy =>
        {
            policy.RequireAuthenticatedUser();
            foreach (var requirement in requirements) policy.Requirements.Add(requirement);
        });

    private sealed class NoOperatorCredentials : IOperatorCredentialSource
    {
        public IReadOnlyList<OperatorCredential> Credentials => [];
    }
}
