using Platform.Security.Tokens;

namespace Platform.Gateway.UserTokens;

/// <summary>
/// <c>Gateway:Identity</c> (SPEC ID-OIDC, GW-AUTH): access tokens from the identity service are validated here, from
/// its JWKS, without a call per request. Without an issuer the gateway accepts no user token.
/// </summary>
internal sealed class UserTokenOptions : AccessTokenOptions
{
    public const string SectionName = "Gateway:Identity";

    /// <summary>The identity service's session cookie: a credential too, so never sent together with another one.</summary>
    public string SessionCookie { get; set; } = "__Host-platform-session";
}
