namespace Platform.Identity.Sso;

/// <summary>An organization's OpenID Connect connection; the client secret stays sealed until a code is exchanged.</summary>
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
    DateTimeOffset CreatedAt);

/// <summary>An email domain an organization claimed; home-realm discovery and SSO-only apply once it is verified.</summary>
internal sealed record SsoDomain(string OrganizationId, string Domain, string ConnectionId, string VerificationToken, DateTimeOffset? VerifiedAt, bool SsoOnly);
