namespace Platform.Keys.Secrets;

/// <summary>
/// The <c>Keys:Secrets</c> section (SPEC KEY-SECRETS); checked at start-up by <see cref="KeySecretsOptionsValidator"/>.
/// Storage's address is not here: it comes from service discovery, <c>services:storage:http:0</c>, as the AppHost sets it.
/// </summary>
public sealed class KeySecretsOptions
{
    public const string Section = "Keys:Secrets";

    /// <summary>The configuration key service discovery resolves <c>http://storage</c> from.</summary>
    public const string StorageEndpointKey = "services:storage:http:0";

    /// <summary>This service's bearer credential for storage's transit API (one of <c>Storage:ServiceTokens</c>).</summary>
    public string StorageToken { get; set; } = "";

    /// <summary>
    /// The services that may have a secret's value revealed to them: <c>Keys:Secrets:Consumers:N:Name|Token|Organizations</c>.
    /// Separate from <c>Keys:ServiceTokens</c> so that the gateway, which verifies API keys, cannot read secrets.
    /// </summary>
    public List<SecretConsumer> Consumers { get; set; } = [];

    /// <summary>
    /// How often live secrets are rewrapped onto their organization's current key version and the versions still in use
    /// reported to storage (issue 16: deleted secrets unreadable from every backup within the bound). At most storage's
    /// <c>Storage:BackupReach:TransitReportInterval</c>.
    /// </summary>
    public TimeSpan RewrapInterval { get; set; } = TimeSpan.FromHours(1);
}

public sealed class SecretConsumer
{
    public string Name { get; set; } = "";

    public string Token { get; set; } = "";

    public List<string> Organizations { get; set; } = [];

    /// <summary>CIDR ranges the consumer may call from, directly (<c>…:Networks:N</c>); none: loopback only.</summary>
    public List<string> Networks { get; set; } = [];

    public bool MayReveal(string organizationId) => Organizations.Contains("*") || Organizations.Contains(organizationId);
}
