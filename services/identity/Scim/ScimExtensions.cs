using Microsoft.AspNetCore.Authentication;

namespace Platform.Identity.Scim;

internal static class ScimExtensions
{
    /// <summary>SCIM provisioning (issue 18 item 6): the token scheme and policy, and the services behind /scim/v2.</summary>
    public static IHostApplicationBuilder AddScimServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddAuthentication()
            .AddScheme<AuthenticationSchemeOptions, ScimAuthenticationHandler>(ScimAuthenticationHandler.SchemeName, null);
        builder.Services.AddAuthorizationBuilder().AddPolicy(ScimAuthenticationHandler.PolicyName, policy => policy
            .AddAuthenticationSchemes(ScimAuthenticationHandler.SchemeName)
            .RequireAuthenticatedUser()
            .RequireClaim(ScimAuthenticationHandler.OrganizationClaim));
        builder.Services.AddSingleton<ScimTokens>();
        builder.Services.AddSingleton<ScimMembership>();
        builder.Services.AddSingleton<ScimUserStore>();
        builder.Services.AddSingleton<ScimUsers>();
        builder.Services.AddSingleton<ScimGroups>();
        builder.Services.AddSingleton<ScimRoleMappings>();
        builder.Services.AddSingleton<ScimBulk>();
        return builder;
    }

    public static IEndpointRouteBuilder MapScim(this IEndpointRouteBuilder app) => app.MapScimAdminApi().MapScimApi();
}
