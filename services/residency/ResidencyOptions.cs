namespace Platform.Residency;

/// <summary>The <c>Residency</c> section; checked at start-up by <see cref="ResidencyOptionsValidator"/>.</summary>
public sealed class ResidencyOptions
{
    public const string Section = "Residency";

    /// <summary>The registry of regions (SPEC RES-REGION): <c>Residency:Regions:N:Id|Name|Jurisdiction|StorageEndpoint</c>.</summary>
    public List<RegionOptions> Regions { get; set; } = [];

    /// <summary>Where a multi-region organization's datasets go when the request names no region.</summary>
    public string DefaultRegion { get; set; } = "";

    /// <summary>Residency's credential at every region's storage (<c>Storage:ServiceTokens</c>): lists what an organization holds there.</summary>
    public string StorageToken { get; set; } = "";

    /// <summary>
    /// Tokens of services that read organizations' residency directly (the gateway routes by it): from anywhere, not
    /// audited per call, read-only.
    /// </summary>
    public List<string> ServiceTokens { get; set; } = [];

    /// <summary>Operators who scan any listed organization for leaks, on direct calls (<c>Residency:Operators:N:Name|Token|Organizations|Networks</c>).</summary>
    public List<ResidencyOperator> Operators { get; set; } = [];

    /// <summary>How leak-scan reports are signed (<c>Residency:Reports</c>).</summary>
    public ReportOptions Reports { get; set; } = new();
}

public sealed class ResidencyOperator
{
    public string Name { get; set; } = "";

    public string Token { get; set; } = "";

    /// <summary>Organization ids, or "*" for every organization.</summary>
    public List<string> Organizations { get; set; } = [];

    /// <summary>CIDR ranges the operator may call from, directly; none: loopback only.</summary>
    public List<string> Networks { get; set; } = [];
}

/// <summary>
/// Leak-scan reports are C2SP signed notes with Ed25519, like the audit log's checkpoints: the seed is the SHA-256 of
/// <see cref="SigningKey"/>; the verifier key is published at <c>GET /v1/residency/report-keys</c>.
/// </summary>
public sealed class ReportOptions
{
    public string SigningKey { get; set; } = "";

    public string KeyName { get; set; } = "platform.dev/residency";

    /// <summary>Verifier keys of earlier signing keys, still published so that older reports verify.</summary>
    public List<string> PreviousVerifierKeys { get; set; } = [];
}

public sealed class RegionOptions
{
    /// <summary>Lower-case letters, digits and '-', e.g. <c>eu</c>; it is also part of every dataset id pinned there.</summary>
    public string Id { get; set; } = "";

    public string Name { get; set; } = "";

    /// <summary>The law the region's data is kept under, e.g. <c>EU (GDPR)</c>.</summary>
    public string Jurisdiction { get; set; } = "";

    /// <summary>The storage deployment that serves the region (its internal address).</summary>
    public string StorageEndpoint { get; set; } = "";
}
