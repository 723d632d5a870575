using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Storage.Model;

namespace Platform.Storage.Apis;

/// <summary>
/// Who is calling the public API, as the gateway verified it (gateway ApiKeyMiddleware): <c>X-Platform-Organization</c>,
/// <c>X-Platform-Key-Id</c> and <c>X-Platform-Scopes</c> (<c>permission:level</c>, space-separated). The gateway strips
/// these headers from clients, so the service trusts them; it must only be reachable through the gateway.
/// </summary>
internal sealed record GatewayPrincipal(string OrganizationId, string Actor, IReadOnlyList<string> Scopes)
{
    public const string OrganizationHeader = "X-Platform-Organization";
    public const string KeyIdHeader = "X-Platform-Key-Id";
    public const string ScopesHeader = "X-Platform-Scopes";

    /// <summary>Any dataset scope reads; writing needs <c>dataset:full</c>, or <c>dataset:labeler_only</c> for annotations.</summary>
    public bool MayRead => Scopes.Any(s => s.StartsWith("dataset:", StringComparison.Ordinal));

    public bool MayWrite(string? dataClass = null) =>
        Scopes.Contains("dataset:full") || (dataClass == "annotation" && Scopes.Contains("dataset:labeler_only"));

    /// <summary>The principal allowed to act on <paramref name="organizationId"/>, or the problem to answer.</summary>
    public static (GatewayPrincipal? Principal, ProblemHttpResult? Problem) For(HttpContext http, string organizationId)
    {
        var headers = http.Request.Headers;
        if (headers[OrganizationHeader] is not [{ Length: > 0 } organization] || headers[KeyIdHeader] is not [{ Length: > 0 and <= 100 } actor])
        {
            return (null, Problems.Unauthorized(http, "Call this API through the gateway with an API key."));
        }

        if (organization != organizationId) return (null, Problems.Denied("The API key belongs to another organization."));
        if (!OrganizationIds.IsWellFormed(organizationId)) return (null, Problems.Missing("organization"));
        var scopes = headers[ScopesHeader].ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return (new GatewayPrincipal(organization, actor, scopes), null);
    }
}
