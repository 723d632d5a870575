namespace Platform.SecurityConsole;

/// <summary>The <c>Console</c> section: where identity and the gateway are, the console's client credentials, its data key.</summary>
internal sealed class ConsoleOptions
{
    public const string Section = "Console";

    /// <summary>The platform's public address (the gateway), also identity's issuer, e.g. <c>https://localhost:8443/</c>.</summary>
    public string PublicUrl { get; set; } = "";

    /// <summary>The console's OAuth client id at identity (a first-party client identity registers at start-up).</summary>
    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    /// <summary>Base64 of at least 32 bytes: seals the sessions (with their tokens) kept in Redis.</summary>
    public string DataKey { get; set; } = "";

    /// <summary>
    /// Base64 of at least 32 bytes, shared with the gateway (<c>Gateway:ConsoleForwarding:Key</c>): signs the browser's
    /// address on the console's API calls, so that allowlists apply to it. Empty: not forwarded (the console's own
    /// address is then the one an allowlist must hold).
    /// </summary>
    public string? ForwardingKey { get; set; }

    /// <summary>Locally, the gateway's self-signed development certificate (pinned for the console's calls); none in production.</summary>
    public string? GatewayCertificatePath { get; set; }

    /// <summary>How long a console session lives without use (sliding).</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(8);

    /// <summary>A token expiring within this margin is refreshed before a page uses it.</summary>
    public TimeSpan RefreshMargin { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>The scopes the console asks for: everything a user token can open (each API still checks the role).</summary>
    public static readonly string[] Scopes = ["openid", "email", "offline_access", "platform.keys", "platform.secrets", "platform.organizations", "platform.audit"];

    public Uri PublicUri => new(PublicUrl.EndsWith('/') ? PublicUrl : PublicUrl + "/");
}
