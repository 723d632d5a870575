using System.Security.Claims;

namespace Platform.Security.Authentication;

/// <summary>
/// The claims every platform authentication handler puts on the one principal of a request: what authorizes it, what
/// the audit trail names as its actor and what the endpoint acts for are read from this principal and nothing else.
/// </summary>
public static class PlatformClaims
{
    /// <summary><see cref="PrincipalKinds"/>: an API key (through the gateway), a user or client token, or an operator.</summary>
    public const string Kind = "platform:kind";

    /// <summary>The audit actor: <c>key_…</c>, <c>usr_…</c> (the token's subject) or <c>operator:&lt;name&gt;</c>.</summary>
    public const string Actor = "platform:actor";

    public const string Organization = "platform:org";

    /// <summary>An API key's environment (<c>live</c>/<c>test</c>).</summary>
    public const string Environment = "platform:env";

    /// <summary>One per API-key scope, as <c>permission:level</c>.</summary>
    public const string KeyScope = "platform:key-scope";

    /// <summary>One per OAuth scope of an access token (<c>platform.keys</c>, …).</summary>
    public const string Scope = "scope";

    public const string Role = "platform:role";

    public const string AuthenticationMethod = "amr";

    public const string AuthTime = "auth_time";

    /// <summary>What an operator credential is for (<c>keys-administrator</c>, <c>audit-reader</c>, …).</summary>
    public const string OperatorRole = "platform:operator-role";

    /// <summary>One per organization an operator credential may act on; <c>*</c> for all.</summary>
    public const string OperatorOrganization = "platform:operator-org";

    /// <summary>The client's address: the gateway's signed <c>X-Platform-Client-Address</c>, else the connection's.</summary>
    public const string ClientAddress = "platform:client-address";
}

public static class PrincipalKinds
{
    public const string ApiKey = "key";
    public const string User = "user";
    public const string Operator = "operator";
}

/// <summary>Reading the platform claims back.</summary>
public static class PlatformPrincipalExtensions
{
    public static string? Kind(this ClaimsPrincipal principal) => principal.FindFirst(PlatformClaims.Kind)?.Value;

    public static bool IsKind(this ClaimsPrincipal principal, string kind) => principal.Kind() == kind;

    public static string? Actor(this ClaimsPrincipal principal) => principal.FindFirst(PlatformClaims.Actor)?.Value;

    public static string? OrganizationId(this ClaimsPrincipal principal) => principal.FindFirst(PlatformClaims.Organization)?.Value;

    public static string? KeyEnvironment(this ClaimsPrincipal principal) => principal.FindFirst(PlatformClaims.Environment)?.Value;

    public static string? ClientAddress(this ClaimsPrincipal principal) => principal.FindFirst(PlatformClaims.ClientAddress)?.Value;

    public static IEnumerable<string> Values(this ClaimsPrincipal principal, string type) => principal.FindAll(type).Select(c => c.Value);

    public static bool HasScope(this ClaimsPrincipal principal, string scope) => principal.HasClaim(PlatformClaims.Scope, scope);

    public static bool HasRole(this ClaimsPrincipal principal, IEnumerable<string> roles) => roles.Any(r => principal.HasClaim(PlatformClaims.Role, r));

    public static bool IsOperator(this ClaimsPrincipal principal, string role) =>
        principal.IsKind(PrincipalKinds.Operator) && principal.HasClaim(PlatformClaims.OperatorRole, role);

    /// <summary>Whether an operator credential is listed for <paramref name="organizationId"/> (or for every organization).</summary>
    public static bool OperatorMayUse(this ClaimsPrincipal principal, string organizationId) =>
        principal.HasClaim(PlatformClaims.OperatorOrganization, "*") || principal.HasClaim(PlatformClaims.OperatorOrganization, organizationId);

    /// <summary>The level of an API key's scope for <paramref name="permission"/>, or null when it has none.</summary>
    public static string? KeyLevel(this ClaimsPrincipal principal, string permission)
    {
        foreach (var scope in principal.Values(PlatformClaims.KeyScope))
        {
            if (scope.Length > permission.Length && scope.StartsWith(permission, StringComparison.Ordinal) && scope[permission.Length] == ':') return scope[(permission.Length + 1)..];
        }

        return null;
    }
}
