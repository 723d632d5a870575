namespace Platform.Identity.Oidc;

/// <summary>
/// The scopes identity issues; anything else (the retired <c>platform</c> scope included) is refused with
/// invalid_scope (RFC 6749 section 5.2). Each <c>platform.*</c> scope opens one group of the platform's APIs, and a
/// token carries the API audience only when it has at least one of them: <c>openid</c> alone reaches no API.
/// </summary>
internal static class OidcScopes
{
    /// <summary>API keys and the organization's network policy (keys service).</summary>
    public const string Keys = "platform.keys";

    /// <summary>Customer secrets (keys service).</summary>
    public const string Secrets = "platform.secrets";

    /// <summary>Identity's organization, member, invitation and OAuth client APIs.</summary>
    public const string Organizations = "platform.organizations";

    /// <summary>Reading the audit log.</summary>
    public const string Audit = "platform.audit";

    public static readonly IReadOnlyList<string> Api = [Keys, Secrets, Organizations, Audit];

    public static readonly IReadOnlyList<string> ClientSelectable = ["openid", "email", "profile", "offline_access", .. Api];

    /// <summary>Whether a token with these scopes is for the platform's APIs (and so gets their audience).</summary>
    public static bool OpensApi(IEnumerable<string> scopes) => scopes.Any(Api.Contains);
}
