using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Platform.Keys.Model;
using Platform.Security.Authentication;
using Platform.Security.Tokens;

namespace Platform.Keys.Security;

/// <summary>
/// Who reaches which endpoint, decided on the request's one principal before the endpoint runs, in this order: a
/// principal that may manage anything here (else 403), a well-formed organization (400), that principal's
/// organization (403), for a user token the OAuth scope of the API (403 <c>insufficient-scope</c>, contract item 1), a
/// managing role (403) and a recent MFA (401 step-up). Each refusal is a problem and an audit event.
/// </summary>
internal static class KeysPolicies
{
    /// <summary>Keys and network policy: an administrator, or an Owner/Admin token with <c>platform.keys</c>.</summary>
    public const string ManageKeys = "keys.manage";

    /// <summary>Customer secrets: an administrator, or an Owner/Admin token with <c>platform.secrets</c>.</summary>
    public const string ManageSecrets = "keys.secrets";

    /// <summary>The gateway's calls (verify, usage, network policy): <c>Keys:ServiceTokens</c>.</summary>
    public const string Gateway = "keys.gateway";

    /// <summary>Revealing a secret: a consumer listed for the organization.</summary>
    public const string RevealSecrets = "keys.reveal";

    public const string KeysScope = "platform.keys";
    public const string SecretsScope = "platform.secrets";

    /// <summary>The organization roles that manage keys, secrets and network policy.</summary>
    public static readonly string[] ManagingRoles = ["Owner", "Admin"];

    public static AuthorizationBuilder AddKeysPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPlatformPolicy(ManageKeys, Manage(KeysScope))
        .AddPlatformPolicy(ManageSecrets, Manage(SecretsScope))
        .AddPlatformPolicy(Gateway, new PlatformRequirement("unauthenticated", "Authentication required", "Send the gateway's service credential, directly to the service.",
            (user, _) => user.IsOperator(KeysCredentials.Gateway), status: 401) { Challenge = Bearer })
        .AddPlatformPolicy(RevealSecrets,
            new PlatformRequirement("unauthenticated", "Authentication required", "Send a secret consumer credential, directly to the service.",
                (user, _) => user.IsOperator(KeysCredentials.SecretConsumer), status: 401) { Challenge = Bearer },
            new PlatformRequirement("forbidden", "Not allowed", "This consumer may not read that organization's secrets.",
                // A malformed organization id is the endpoint's 400, not a refusal.
                (user, http) => Organization(http) is not { } organization || !OrganizationIds.IsWellFormed(organization) || user.OperatorMayUse(organization)));

    private static PlatformRequirement[] Manage(string scope) =>
    [
        // A credential of a kind this API does not take is no credential here: 401, as before any principal existed.
        new("unauthenticated", "Authentication required", "Send an administrator credential (directly to the service) or an identity access token.",
            (user, _) => user.IsKind(PrincipalKinds.User) || user.IsOperator(KeysCredentials.Administrator), status: 401) { Challenge = Bearer },
        new("invalid-request", "The request is invalid", "An organization id is org_ and 1 to 60 letters or digits.",
            (_, http) => Organization(http) is { } organization && OrganizationIds.IsWellFormed(organization), status: 400),
        new("forbidden", "Not allowed", "This credential may not manage that organization.",
            (user, http) => user.IsKind(PrincipalKinds.User) ? user.OrganizationId() == Organization(http) : user.OperatorMayUse(Organization(http)!)),
        new("insufficient-scope", "The token lacks the scope this API needs", $"This API needs an access token with the scope '{scope}'.",
            (user, _) => !user.IsKind(PrincipalKinds.User) || user.HasScope(scope))
        {
            Challenge = _ => $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"",
        },
        new("insufficient-role", "Your role does not allow this", $"This needs one of these organization roles: {string.Join(", ", ManagingRoles)}.",
            (user, _) => !user.IsKind(PrincipalKinds.User) || user.HasRole(ManagingRoles)),
        new("step-up-required", "Confirm it is you", "This action needs a recent multi-factor sign-in. Sign in again with your second factor.",
            (user, http) => !user.IsKind(PrincipalKinds.User) || HasRecentMfa(user, http), status: 401)
        {
            Challenge = http => http.RequestServices.GetRequiredService<AccessTokenValidator>().StepUpChallenge,
        },
    ];

    private static string? Bearer(HttpContext http) => "Bearer";

    private static string? Organization(HttpContext http) => http.GetRouteValue("organizationId") as string;

    private static bool HasRecentMfa(ClaimsPrincipal user, HttpContext http)
    {
        var validator = http.RequestServices.GetRequiredService<AccessTokenValidator>();
        var authTime = user.FindFirst(PlatformClaims.AuthTime)?.Value;
        return authTime is not null && long.TryParse(authTime, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            && validator.HasRecentMfa(new AccessTokenPrincipal(user.Actor()!, user.OrganizationId(), [], user.Values(PlatformClaims.AuthenticationMethod).ToList(),
                DateTimeOffset.FromUnixTimeSeconds(seconds)));
    }
}
