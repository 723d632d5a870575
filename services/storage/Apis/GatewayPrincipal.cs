using Microsoft.AspNetCore.Http.HttpResults;
using Platform.ServiceDefaults.Gateway;
using Platform.Storage.Model;

namespace Platform.Storage.Apis;

/// <summary>
/// Who is calling the public API, as the gateway verified it: <c>X-Platform-Organization</c> and either an API key
/// (<c>X-Platform-Key-Id</c>, <c>X-Platform-Scopes</c> as space-separated <c>permission:level</c>; ApiKeyMiddleware) or a
/// user (<c>X-Platform-User</c>, <c>X-Platform-Roles</c>; UserTokenMiddleware). The gateway strips these headers from
/// clients and, with <c>GatewaySigning:Key</c> set, signs them: then a request whose headers the gateway did not sign
/// (someone reaching the service past the gateway) is refused. Without a key they are trusted, and the service must
/// only be reachable through the gateway.
/// </summary>
internal sealed record GatewayPrincipal(string OrganizationId, string Actor, IReadOnlyList<string> Scopes, IReadOnlyList<string> Roles)
{
    public const string OrganizationHeader = "X-Platform-Organization";
    public const string KeyIdHeader = "X-Platform-Key-Id";
    public const string ScopesHeader = "X-Platform-Scopes";
    public const string UserHeader = "X-Platform-User";
    public const string RolesHeader = "X-Platform-Roles";
    private static readonly string[] writerRoles = ["Owner", "Admin", "Developer"];

    /// <summary>Any dataset scope or organization role reads; writing needs <c>dataset:full</c> (or <c>dataset:labeler_only</c> for annotations) or a role above Viewer.</summary>
    public bool MayRead => Scopes.Any(s => s.StartsWith("dataset:", StringComparison.Ordinal)) || Roles.Count > 0;

    public bool MayWrite(string? dataClass = null) =>
        Scopes.Contains("dataset:full") || (dataClass == "annotation" && Scopes.Contains("dataset:labeler_only")) || Roles.Any(writerRoles.Contains);

    /// <summary>The principal allowed to act on <paramref name="organizationId"/>, or the problem to answer.</summary>
    public static (GatewayPrincipal? Principal, ProblemHttpResult? Problem) For(HttpContext http, string organizationId)
    {
        if (http.RequestServices.GetService<GatewaySignatureVerifier>() is { Enabled: true } verifier && !verifier.Verify(http.Request))
        {
            return (null, Problems.Unauthorized(http, "Call this API through the gateway: the request does not carry the gateway's signature."));
        }

        var headers = http.Request.Headers;
        var actor = headers[KeyIdHeader] is [{ Length: > 0 and <= 100 } key] ? key : headers[UserHeader] is [{ Length: > 0 and <= 100 } user] ? user : null;
        if (headers[OrganizationHeader] is not [{ Length: > 0 } organization] || actor is null)
        {
            return (null, Problems.Unauthorized(http, "Call this API through the gateway with an API key."));
        }

        if (organization != organizationId) return (null, Problems.Denied("The API key belongs to another organization."));
        if (!OrganizationIds.IsWellFormed(organizationId)) return (null, Problems.Missing("organization"));
        var scopes = headers[ScopesHeader].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var roles = headers[KeyIdHeader].Count == 0 ? headers[RolesHeader].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        return (new GatewayPrincipal(organization, actor, scopes, roles), null);
    }
}
