using System.Security.Claims;
using Platform.Gateway.ApiKeys;
using Platform.Security.Tokens;

namespace Platform.Gateway.Authentication;

/// <summary>
/// The one principal of a request (SPEC GW-AUTH): a verified API key or a validated access token, as
/// <c>HttpContext.User</c>. Everything after authentication — the organization's allowlist, the rate limits, the
/// route's requirements, the audit actor and the <c>X-Platform-*</c> headers upstream — reads this and nothing else.
/// </summary>
internal sealed class PlatformPrincipal : ClaimsPrincipal
{
    public const string Scheme = "platform";

    private PlatformPrincipal(ClaimsIdentity identity, string actor, string? organizationId, KeyVerification? key, AccessTokenPrincipal? token, string[] tokenScopes)
        : base(identity)
    {
        Actor = actor;
        OrganizationId = organizationId;
        Key = key;
        Token = token;
        TokenScopes = tokenScopes;
    }

    /// <summary>Who the audit trail names: the key's id or the token's subject.</summary>
    public string Actor { get; }

    public string? OrganizationId { get; }

    /// <summary>The keys service's verification, when the credential is an API key.</summary>
    public KeyVerification? Key { get; }

    /// <summary>The validated access token, when the credential is one.</summary>
    public AccessTokenPrincipal? Token { get; }

    /// <summary>The OAuth scopes the access token was granted (its <c>scope</c> claim); empty for a key.</summary>
    public string[] TokenScopes { get; }

    public static PlatformPrincipal OfKey(KeyVerification key) =>
        new(NewIdentity(key.KeyId!, key.OrganizationId, "api-key"), key.KeyId!, key.OrganizationId, key, null, []);

    public static PlatformPrincipal OfToken(AccessTokenPrincipal token, string[] scopes) =>
        new(NewIdentity(token.Subject, token.OrganizationId, "access-token"), token.Subject, token.OrganizationId, null, token, scopes);

    private static ClaimsIdentity NewIdentity(string actor, string? organization, string credential)
    {
        var claims = new List<Claim>(3) { new("sub", actor), new("credential", credential) };
        if (organization is not null) claims.Add(new Claim("org_id", organization));
        return new ClaimsIdentity(claims, Scheme, "sub", "roles");
    }
}

internal static class PlatformPrincipalExtensions
{
    /// <summary>The request's verified principal, or null when it carries no credential the gateway verifies.</summary>
    public static PlatformPrincipal? Principal(this HttpContext context) => context.User as PlatformPrincipal;
}
