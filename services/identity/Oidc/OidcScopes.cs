namespace Platform.Identity.Oidc;

/// <summary>The scopes identity issues; anything else is refused with invalid_scope (RFC 6749 section 5.2).</summary>
internal static class OidcScopes
{
    /// <summary>Access to the platform's APIs behind the gateway.</summary>
    public const string Platform = "platform";

    public static readonly IReadOnlyList<string> ClientSelectable = ["openid", "email", "profile", "offline_access", Platform];
}
