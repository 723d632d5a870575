using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Keys.Model;
using Platform.ServiceDefaults.Tokens;

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

/// <summary>
/// Who may manage an organization's keys and network policy: the operators in <c>Keys:Administrators</c>, and the
/// organization's own Owners and Admins with an identity access token that shows a recent multi-factor sign-in.
/// </summary>
internal sealed class Administrators(IOptions<KeysOptions> options, AccessTokenValidator tokens)
{
    /// <summary>The organization roles that manage keys.</summary>
    public static readonly string[] ManagingRoles = ["Owner", "Admin"];

    private readonly List<KeyAdministrator> administrators = options.Value.Administrators;
    private readonly byte[][] hashes = options.Value.Administrators.Select(a => BearerTokens.Hash(a.Token)).ToArray();

    public KeyAdministrator? Authenticate(HttpRequest request) =>
        BearerTokens.Match(request, hashes) is var index and >= 0 ? administrators[index] : null;

    /// <summary>
    /// A credential (401), a well-formed organization id (400), and that credential's organization (403), then for a
    /// user a managing role (403) and a recent MFA (401 step-up), checked in that order before anything else.
    /// </summary>
    public (KeyAdministrator? Administrator, ProblemHttpResult? Refusal) Admit(HttpContext http, string organizationId)
    {
        var user = http.Features.Get<SignedInUser>()?.Principal;
        var administrator = user is null ? Authenticate(http.Request) : null;
        if (administrator is null && user is null)
        {
            return (null, Problems.Unauthorized(http, "Send an administrator credential or an access token as 'Authorization: Bearer <token>'."));
        }

        if (!OrganizationIds.IsWellFormed(organizationId))
        {
            return (null, Problems.Invalid("An organization id is org_ and 1 to 60 letters or digits."));
        }

        if (administrator is not null)
        {
            return administrator.MayManage(organizationId)
                ? (administrator, null)
                : (null, NotYourOrganization());
        }

        if (!string.Equals(user!.OrganizationId, organizationId, StringComparison.Ordinal)) return (null, NotYourOrganization());
        if (!user.Roles.Intersect(ManagingRoles, StringComparer.Ordinal).Any())
        {
            return (null, TypedResults.Problem(statusCode: 403, type: Problems.InsufficientRole, title: "Your role does not allow this",
                detail: $"Managing keys needs one of these organization roles: {string.Join(", ", ManagingRoles)}."));
        }

        if (!tokens.HasRecentMfa(user))
        {
            http.Response.Headers.WWWAuthenticate = tokens.StepUpChallenge;
            return (null, TypedResults.Problem(statusCode: 401, type: Problems.StepUpRequired, title: "Confirm it is you",
                detail: $"This action needs a multi-factor sign-in within the last {(int)tokens.Settings.StepUpMaxAge.TotalMinutes} minutes. Sign in again with your second factor."));
        }

        return (new KeyAdministrator { Name = user.Subject, Organizations = [organizationId] }, null);
    }

    private static ProblemHttpResult NotYourOrganization() =>
        TypedResults.Problem(statusCode: 403, type: Problems.Forbidden, title: "Not allowed", detail: "This credential may not manage that organization.");
}

/// <summary>The services (gateways) allowed to verify keys and report usage: <c>Keys:ServiceTokens</c>.</summary>
internal sealed class ServiceCredentials(IOptions<KeysOptions> options)
{
    private readonly byte[][] hashes = options.Value.ServiceTokens.Select(BearerTokens.Hash).ToArray();

    public bool Authenticate(HttpRequest request) => BearerTokens.Match(request, hashes) >= 0;
}
