using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Authentication;

namespace Platform.Audit.Apis;

/// <summary>
/// Who may read which organization's audit log. Until identity exists these are service credentials from
/// configuration (<c>Audit:Readers:N:Name|Token|Organizations</c>); "*" reads every organization.
/// </summary>
public sealed class AuditOptions
{
    public const string Section = "Audit";

    [MinLength(1, ErrorMessage = "Audit:Readers needs at least one reader: nobody could read the audit log.")]
    public List<AuditReader> Readers { get; set; } = [];
}

public sealed class AuditReader
{
    [Required]
    [RegularExpression("^[a-z][a-z0-9-]{0,62}$")]
    public string Name { get; set; } = "";

    [Required]
    [MinLength(32, ErrorMessage = "A reader token must have at least 32 characters.")]
    public string Token { get; set; } = "";

    [MinLength(1)]
    public List<string> Organizations { get; set; } = [];

    /// <summary>CIDR ranges the reader may call from, directly (<c>…:Networks:N</c>); none: loopback only.</summary>
    public List<string> Networks { get; set; } = [];

    public bool MayRead(string? organization) =>
        Organizations.Contains("*") || (organization is not null && Organizations.Contains(organization));
}

/// <summary>
/// <c>Audit:Readers</c> as operator credentials (<see cref="Platform.ServiceDefaults.Authentication.OperatorCredentialHandler"/>):
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
