using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

/// <summary>
/// Who may read which organization's audit log. Until identity exists these are service credentials from
/// configuration (<c>Audit:Readers:N:Name|Token|Organizations</c>); "*" reads every organization. Checked at start-up
/// by <see cref="AuditOptionsValidator"/>.
/// </summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    public List<AuditReader> Readers { get; set; } = [];
}

public sealed class AuditReader
{
    public string Name { get; set; } = "";

    public string Token { get; set; } = "";

    public List<string> Organizations { get; set; } = [];

    /// <summary>CIDR ranges the reader may call from, directly (<c>…:Networks:N</c>); none: loopback only.</summary>
    public List<string> Networks { get; set; } = [];

    public bool MayRead(string? organization) =>
        Organizations.Contains("*") || (organization is not null && Organizations.Contains(organization));
}

/// <summary>
/// <c>Audit:Readers</c> as operator credentials (<see cref="Platform.Security.Authentication.OperatorCredentialHandler"/>):
/// on direct calls to this service only, from each reader's <c>Networks</c> (default loopback), every use audited as
/// <c>operator:&lt;name&gt;</c>.
/// </summary>
internal sealed class AuditReaderCredentials(IOptions<AuditOptions> options) : IOperatorCredentialSource
{
    public const string Role = "audit-reader";

    public IReadOnlyList<OperatorCredential> Credentials { get; } = options.Value.Readers
        .Select((r, index) => new OperatorCredential(r.Name, Role, r.Token, r.Organizations, OperatorNetworks.Parse(r.Networks, $"Audit:Readers:{index}", new List<string>())))
        .ToList();
}
