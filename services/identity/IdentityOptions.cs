namespace Platform.Identity;

/// <summary>The <c>Identity</c> section; checked at start-up by <see cref="IdentityOptionsValidator"/>.</summary>
public sealed class IdentityOptions
{
    public const string Section = "Identity";

    /// <summary>The issuer (and public base URL) of tokens and links, e.g. https://localhost:8443/ behind the gateway.</summary>
    public string Issuer { get; set; } = "";

    /// <summary>Base64 of 32 random bytes: the AES-256-GCM key for TOTP secrets and signing keys at rest. Never in the database.</summary>
    public string DataKey { get; set; } = "";

    public PasswordSettings Passwords { get; set; } = new();

    public LockoutSettings Lockout { get; set; } = new();

    public TokenSettings Tokens { get; set; } = new();

    public MailSettings Mail { get; set; } = new();

    public SsoSettings Sso { get; set; } = new();

    /// <summary>Addresses whose X-Forwarded-For is believed (the gateway); "*" believes any hop (tests only).</summary>
    public List<string> TrustedProxies { get; set; } = [];

    /// <summary>The platform's own clients (the console), registered at start-up: no consent page, any organization of the user.</summary>
    public List<FirstPartyClient> FirstPartyClients { get; set; } = [];
}

/// <summary>A first-party web client (code + PKCE + refresh, confidential), e.g. the security console.</summary>
public sealed class FirstPartyClient
{
    public string ClientId { get; set; } = "";

    public string ClientSecret { get; set; } = "";

    public string DisplayName { get; set; } = "";

    public List<string> RedirectUris { get; set; } = [];

    /// <summary>Where identity's end-session endpoint may send the browser back after an RP-initiated logout.</summary>
    public List<string> PostLogoutRedirectUris { get; set; } = [];

    /// <summary>The lifetime of this client's access tokens; none: <see cref="TokenSettings.AccessTokenLifetime"/>.</summary>
    public TimeSpan? AccessTokenLifetime { get; set; }
}

public sealed class PasswordSettings
{
    public int MinLength { get; set; } = 12;

    public int MaxLength { get; set; } = 256;

    /// <summary>Argon2id memory in KiB (OWASP minimum 19 MiB = 19456).</summary>
    public int MemoryKiB { get; set; } = 19456;

    public int Iterations { get; set; } = 2;
}

public sealed class LockoutSettings
{
    /// <summary>Wrong passwords in a row before the account locks.</summary>
    public int Threshold { get; set; } = 5;

    /// <summary>The first lock; each further failure doubles it, up to <see cref="MaxLock"/>.</summary>
    public TimeSpan BaseLock { get; set; } = TimeSpan.FromMinutes(1);

    public TimeSpan MaxLock { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Sign-in, sign-up and reset attempts per client IP per minute.</summary>
    public int AttemptsPerIpPerMinute { get; set; } = 30;

    /// <summary>
    /// Wrong second factors (TOTP or recovery codes) in a row before the second factor locks, with the same doubling
    /// backoff as passwords. Counted apart from passwords: a correct password never clears it.
    /// </summary>
    public int MfaThreshold { get; set; } = 5;

    /// <summary>Wrong second factors per client IP (whatever the accounts) within <see cref="MfaIpWindow"/>.</summary>
    public int MfaFailuresPerIp { get; set; } = 20;

    public TimeSpan MfaIpWindow { get; set; } = TimeSpan.FromMinutes(15);
}

public sealed class TokenSettings
{
    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(10);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(14);

    public TimeSpan SigningKeyRotation { get; set; } = TimeSpan.FromDays(30);

    public TimeSpan StepUpWindow { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan EmailTokenLifetime { get; set; } = TimeSpan.FromHours(1);

    public TimeSpan InvitationLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>The audience of access tokens: the platform's APIs behind the gateway.</summary>
    public string Audience { get; set; } = "platform-api";
}

public sealed class MailSettings
{
    /// <summary>Development: each mail becomes a .eml file in this folder (relative to the content root).</summary>
    public string? Folder { get; set; }

    public string? SmtpHost { get; set; }

    public int SmtpPort { get; set; } = 587;

    public string From { get; set; } = "no-reply@platform.local";
}

public sealed class SsoSettings
{
    /// <summary>Development and tests only: accept http:// issuers on loopback (an IdP started by a test). Production issuers are https.</summary>
    public bool AllowLoopbackHttpIssuers { get; set; }

    /// <summary>Lets the service reach IdPs on loopback, private, link-local or CGNAT addresses (tests; an IdP inside the network). Off: public addresses only.</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long a sign-in may take at the IdP (the state, nonce and PKCE verifier expire then).</summary>
    public TimeSpan LoginLifetime { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Tolerated clock difference with the IdP for the ID token's exp, iat and nbf.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(2);
}
