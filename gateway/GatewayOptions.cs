namespace Platform.Gateway;

/// <summary>The <c>Gateway</c> configuration section; checked by <see cref="GatewayOptionsValidator"/> at start-up.</summary>
internal sealed class GatewayOptions
{
    public const string SectionName = "Gateway";

    /// <summary>The public listener: HTTPS only.</summary>
    public int HttpsPort { get; set; }

    /// <summary>The internal listener: plain HTTP, health probes only.</summary>
    public int InternalPort { get; set; }

    public string BindAddress { get; set; } = "0.0.0.0";

    public GatewayCertificateOptions Certificate { get; set; } = new();

    /// <summary>Where a self-signed certificate is made on first run and reused afterwards, for local development.</summary>
    public string? DevelopmentCertificatePath { get; set; }

    public SecurityTxtOptions SecurityTxt { get; set; } = new();

    /// <summary>
    /// CIDR ranges of proxies in front of the gateway (load balancers) whose forwarded headers, such as a
    /// well-formed <c>X-Request-Id</c>, are believed. Empty: every client is untrusted.
    /// </summary>
    public List<string> TrustedProxies { get; set; } = [];

    public Hardening.EdgeLimits Limits { get; set; } = new();

    /// <summary>
    /// The key the security console signs the browser's address with (<see cref="Platform.Security.Gateway.ForwardedClient"/>).
    /// Without one, no forwarded address is believed.
    /// </summary>
    public Platform.Security.Gateway.GatewaySigningOptions ConsoleForwarding { get; set; } = new();
}

internal sealed class GatewayCertificateOptions
{
    /// <summary>A PFX/PKCS#12 file (<c>.pfx</c>, <c>.p12</c>) or a PEM certificate, optionally followed by its chain.</summary>
    public string? Path { get; set; }

    /// <summary>The PEM private key, when it is not in <see cref="Path"/>.</summary>
    public string? KeyPath { get; set; }

    /// <summary>The PFX password, or the password of an encrypted PEM key.</summary>
    public string? Password { get; set; }

    /// <summary>How often the files are checked for a renewed certificate.</summary>
    public TimeSpan ReloadCheckInterval { get; set; } = TimeSpan.FromSeconds(10);
}

/// <summary>Fields of <c>/.well-known/security.txt</c> (RFC 9116 section 2.5).</summary>
internal sealed class SecurityTxtOptions
{
    public string? Contact { get; set; }

    public string? Expires { get; set; }

    public string? Policy { get; set; }

    public string? Encryption { get; set; }
}
