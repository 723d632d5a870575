using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Platform.Security.Authentication;
using Platform.Security.Tokens;

namespace Platform.Residency.Security;

/// <summary>
/// Who reaches which endpoint, decided on the request's one principal before the endpoint runs: an identity access
/// token (validated here again, not trusted from the gateway's headers) with the <c>platform.organizations</c> scope;
/// every member reads, an Owner with a multi-factor sign-in within the step-up age changes. The organization is the
/// token's. Services with a reader token read any organization's residency directly. Each refusal is a problem and an
/// audit event.
/// </summary>
internal static class ResidencyPolicies
{
    public const string Read = "residency.read";
    public const string Change = "residency.change";
    public const string Service = "residency.service";
    public const string Scan = "residency.scan";

    public const string Scope = "platform.organizations";
    public static readonly string[] ChangingRoles = ["Owner"];
    public static readonly string[] ScanningRoles = ["Owner", "Admin"];

    public static AuthorizationBuilder AddResidencyPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPlatformPolicy(Read, User())
        .AddPlatformPolicy(Change, [.. User(), Role(), StepUp()])
        .AddPlatformPolicy(Scan,
            new PlatformRequirement("unauthenticated", "Authentication required",
                "Send an identity access token of your organization through the gateway, or an operator's residency credential directly to the service.",
                (user, _) => user.IsOperator(ResidencyCredentials.Operator) || IsCustomer(user), status: 401) { Challenge = _ => "Bearer" },
            new PlatformRequirement("insufficient-scope", "The token lacks the scope this API needs", $"This API needs an access token with the scope '{Scope}'.",
                (user, _) => !IsCustomer(user) || user.HasScope(Scope)) { Challenge = _ => $"Bearer error=\"insufficient_scope\", scope=\"{Scope}\"" },
            new PlatformRequirement("insufficient-role", "Your role does not allow this", $"A leak scan is run by these organization roles: {string.Join(", ", ScanningRoles)}.",
                (user, _) => !IsCustomer(user) || user.HasRole(ScanningRoles)))
        .AddPlatformPolicy(Service,
            new PlatformRequirement("unauthenticated", "Authentication required", "Send a residency service credential, directly to the service.",
                (user, _) => user.IsOperator(ResidencyCredentials.Reader), status: 401) { Challenge = _ => "Bearer" });

    /// <summary>A member whose identity access token this service validated itself (never one described only by gateway headers).</summary>
    public static bool IsCustomer(ClaimsPrincipal user) =>
        user.IsKind(PrincipalKinds.User) && user.Identity?.AuthenticationType == PlatformSchemes.AccessToken && user.OrganizationId() is { Length: > 0 };

    private static PlatformRequirement[] User() =>
    [
        new("unauthenticated", "Authentication required", "Send an identity access token of your organization.",
            (user, _) => user.IsKind(PrincipalKinds.User) && user.OrganizationId() is { Length: > 0 }, status: 401) { Challenge = _ => "Bearer" },
        new("insufficient-scope", "The token lacks the scope this API needs", $"This API needs an access token with the scope '{Scope}'.",
            (user, _) => user.HasScope(Scope)) { Challenge = _ => $"Bearer error=\"insufficient_scope\", scope=\"{Scope}\"" },
    ];

    private static PlatformRequirement Role() =>
        new("insufficient-role", "Your role does not allow this", $"This needs one of these organization roles: {string.Join(", ", ChangingRoles)}.",
            (user, _) => user.HasRole(ChangingRoles));

    private static PlatformRequirement StepUp() =>
        new("step-up-required", "Confirm it is you", "This action needs a recent multi-factor sign-in. Sign in again with your second factor.",
            HasRecentMfa, status: 401)
        {
            Challenge = http => http.RequestServices.GetRequiredService<AccessTokenValidator>().StepUpChallenge,
        };

    private static bool HasRecentMfa(ClaimsPrincipal user, HttpContext http)
    {
        var validator = http.RequestServices.GetRequiredService<AccessTokenValidator>();
        var authTime = user.FindFirst(PlatformClaims.AuthTime)?.Value;
        return authTime is not null && long.TryParse(authTime, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && validator.HasRecentMfa(new AccessTokenPrincipal(user.Actor()!, user.OrganizationId(), [], user.Values(PlatformClaims.AuthenticationMethod).ToList(),
                DateTimeOffset.FromUnixTimeSeconds(seconds)));
    }
}
