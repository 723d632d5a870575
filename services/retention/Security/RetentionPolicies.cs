using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Platform.Security.Authentication;
using Platform.Security.Tokens;

namespace Platform.Retention.Security;

/// <summary>
/// Who reaches which endpoint, decided on the request's one principal before the endpoint runs: an identity access
/// token (validated here again, not trusted from the gateway's headers) of the organization it acts for, with the
/// <c>platform.organizations</c> scope (retention is an organization setting); an Owner or Admin to change anything or
/// see holds; a multi-factor sign-in within the step-up age to change a period or place or release a hold. The
/// organization is the token's: there is no other organization's policy to name. Each refusal is a problem and an
/// audit event.
/// </summary>
internal static class RetentionPolicies
{
    public const string Read = "retention.read";
    public const string Manage = "retention.manage";
    public const string Change = "retention.change";
    public const string Operate = "retention.operate";
    public const string Backups = "retention.backups";
    public const string BackupRestore = "retention.backups.restore";
    public const string Close = "retention.close";

    public const string Scope = "platform.organizations";
    public static readonly string[] ManagingRoles = ["Owner", "Admin"];

    public static AuthorizationBuilder AddRetentionPolicies(this AuthorizationBuilder authorization) => authorization
        .AddPlatformPolicy(Read, User())
        .AddPlatformPolicy(Manage, [.. User(), Role()])
        .AddPlatformPolicy(Change, [.. User(), Role(), StepUp()])
        // Closing the organization, or cancelling that, is the Owners' alone (SPEC RET-CLOSE).
        .AddPlatformPolicy(Close, [.. User(), Role(OwnerOnly), StepUp()])
        .AddPlatformPolicy(Operate,
            new PlatformRequirement("unauthenticated", "Authentication required", "Send a retention operator credential, directly to the service.",
                (user, _) => user.IsOperator(RetentionCredentials.Operator), status: 401) { Challenge = _ => "Bearer" },
            new PlatformRequirement("forbidden", "Not allowed", "This operator may not act on that organization.",
                (user, http) => http.GetRouteValue("organizationId") is string organization && user.OperatorMayUse(organization)))
        .AddPlatformPolicy(Backups,
            new PlatformRequirement("unauthenticated", "Authentication required", "Send a backup operator credential, directly to the service.",
                (user, _) => user.IsKind(PrincipalKinds.Operator), status: 401) { Challenge = _ => "Bearer" },
            new PlatformRequirement("forbidden", "Not allowed", "This credential may not use backups.",
                (user, _) => user.IsOperator(RetentionCredentials.BackupOperator) || user.IsOperator(RetentionCredentials.BackupRestorer)))
        .AddPlatformPolicy(BackupRestore,
            new PlatformRequirement("unauthenticated", "Authentication required", "Send a backup operator credential, directly to the service.",
                (user, _) => user.IsKind(PrincipalKinds.Operator), status: 401) { Challenge = _ => "Bearer" },
            new PlatformRequirement("forbidden", "Not allowed", "This credential may not restore backups: that needs a backup operator with Restore.",
                (user, _) => user.IsOperator(RetentionCredentials.BackupRestorer)));

    private static PlatformRequirement[] User() =>
    [
        new("unauthenticated", "Authentication required", "Send an identity access token of your organization.",
            (user, _) => user.IsKind(PrincipalKinds.User) && user.OrganizationId() is { Length: > 0 }, status: 401) { Challenge = _ => "Bearer" },
        new("insufficient-scope", "The token lacks the scope this API needs", $"This API needs an access token with the scope '{Scope}'.",
            (user, _) => user.HasScope(Scope)) { Challenge = _ => $"Bearer error=\"insufficient_scope\", scope=\"{Scope}\"" },
    ];

    public static readonly string[] OwnerOnly = ["Owner"];

    private static PlatformRequirement Role(string[]? roles = null) =>
        new("insufficient-role", "Your role does not allow this", $"This needs one of these organization roles: {string.Join(", ", roles ?? ManagingRoles)}.",
            (user, _) => user.HasRole(roles ?? ManagingRoles));

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
