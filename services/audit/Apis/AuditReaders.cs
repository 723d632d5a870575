using System.ComponentModel.DataAnnotations;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

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

    public bool MayRead(string? organization) =>
        Organizations.Contains("*") || (organization is not null && Organizations.Contains(organization));
}

/// <summary>Finds the reader a bearer token belongs to, comparing hashes in constant time against every reader.</summary>
internal sealed class AuditReaderAuthenticator(IOptions<AuditOptions> options)
{
    private readonly (AuditReader Reader, byte[] Hash)[] readers =
        options.Value.Readers.Select(r => (r, SHA256.HashData(Encoding.UTF8.GetBytes(r.Token)))).ToArray();

    public AuditReader? Authenticate(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (!header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) || header.Length > 1024) return null;
        var presented = SHA256.HashData(Encoding.UTF8.GetBytes(header["Bearer ".Length..].Trim()));
        AuditReader? match = null;
        foreach (var (reader, hash) in readers)
        {
            // No early exit: the time taken does not depend on which reader, if any, matched.
            if (CryptographicOperations.FixedTimeEquals(presented, hash)) match = reader;
        }

        return match;
    }
}
