namespace Platform.Identity.Sso;

/// <summary>
/// An organization's connection: OpenID Connect (the client secret stays sealed until a code is exchanged) or SAML 2.0
/// (<see cref="Protocol"/> "saml": <see cref="Issuer"/> is the IdP's entity id, <see cref="AuthorizationEndpoint"/> its
/// SSO URL, the OIDC-only values empty; the certificates are in <see cref="Saml.SamlSettings"/>).
/// </summary>
internal sealed record SsoConnection(
    string Id,
    string OrganizationId,
    string Name,
    string Issuer,
    string ClientId,
    byte[] SealedSecret,
    string Scopes,
    string DefaultRole,
    string AuthorizationEndpoint,
    string TokenEndpoint,
    string JwksUri,
    DateTimeOffset CreatedAt,
    string Protocol = SsoConnection.Oidc,
    string GroupsClaim = SsoConnection.DefaultGroupsClaim,
    string? UserinfoEndpoint = null)
{
    public const string DefaultGroupsClaim = "groups";

    public const string Oidc = "oidc";
    public const string Saml = "saml";
}

/// <summary>An email domain an organization claimed; home-realm discovery and SSO-only apply once it is verified.</summary>
internal sealed record SsoDomain(string OrganizationId, string Domain, string ConnectionId, string VerificationToken, DateTimeOffset? VerifiedAt, bool SsoOnly);
