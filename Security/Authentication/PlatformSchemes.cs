namespace Platform.Security.Authentication;

/// <summary>
/// One authentication scheme per kind of credential. <see cref="Platform"/> is the default: it looks at which kind of
/// credential a request carries and forwards to that scheme alone, so a request is authenticated as one principal or
/// not at all (two kinds at once: <see cref="Multiple"/>, a 400 before anything is verified).
/// </summary>
public static class PlatformSchemes
{
    public const string Platform = "platform";

    /// <summary>The principal the gateway verified and signed (<c>X-Platform-*</c>): an API key or a user.</summary>
    public const string Gateway = "gateway-principal";

    /// <summary>An identity access token (JWT) the service validates itself.</summary>
    public const string AccessToken = "access-token";

    /// <summary>A static operator or service credential from configuration, on direct calls only.</summary>
    public const string Operator = "operator";

    public const string Multiple = "multiple-credentials";
}
