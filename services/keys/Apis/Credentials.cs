using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Keys.Model;

namespace Platform.Keys.Apis;

/// <summary>
/// Bearer credentials from configuration, until identity exists. Tokens are compared as SHA-256 hashes in constant
/// time, against every entry without an early exit: the time taken tells nothing about which one, if any, matched.
/// </summary>
internal static class BearerTokens
{
    private const int MaxHeaderLength = 1024;

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    public static int Match(HttpRequest request, IReadOnlyList<byte[]> hashes)
    {
        var header = request.Headers.Authorization;
        if (header.Count != 1 || header[0] is not { Length: <= MaxHeaderLength } value
            || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return -1;
        }

        var presented = Hash(value["Bearer ".Length..].Trim());
        var match = -1;
        for (var index = 0; index < hashes.Count; index++)
        {
            if (CryptographicOperations.FixedTimeEquals(presented, hashes[index])) match = index;
        }

        return match;
    }
}

/// <summary>The people (or tools) allowed to manage keys: <c>Keys:Administrators</c>.</summary>
internal sealed class Administrators(IOptions<KeysOptions> options)
{
    private readonly List<KeyAdministrator> administrators = options.Value.Administrators;
    private readonly byte[][] hashes = options.Value.Administrators.Select(a => BearerTokens.Hash(a.Token)).ToArray();

    public KeyAdministrator? Authenticate(HttpRequest request) =>
        BearerTokens.Match(request, hashes) is var index and >= 0 ? administrators[index] : null;

    /// <summary>
    /// An administrator credential (401), a well-formed organization id (400), and that administrator's organization
    /// (403), checked in that order before anything else about the request.
    /// </summary>
    public (KeyAdministrator? Administrator, ProblemHttpResult? Refusal) Admit(HttpContext http, string organizationId)
    {
        var administrator = Authenticate(http.Request);
        if (administrator is null)
        {
            return (null, Problems.Unauthorized(http, "Send an administrator credential as 'Authorization: Bearer <token>'."));
        }

        if (!OrganizationIds.IsWellFormed(organizationId))
        {
            return (null, Problems.Invalid("An organization id is org_ and 1 to 60 letters or digits."));
        }

        return administrator.MayManage(organizationId)
            ? (administrator, null)
            : (null, TypedResults.Problem(statusCode: 403, type: Problems.Forbidden, title: "Not allowed",
                detail: "This credential may not manage that organization."));
    }
}

/// <summary>The services (gateways) allowed to verify keys and report usage: <c>Keys:ServiceTokens</c>.</summary>
internal sealed class ServiceCredentials(IOptions<KeysOptions> options)
{
    private readonly byte[][] hashes = options.Value.ServiceTokens.Select(BearerTokens.Hash).ToArray();

    public bool Authenticate(HttpRequest request) => BearerTokens.Match(request, hashes) >= 0;
}
