using Platform.Security.Tokens;

namespace Platform.Audit.Apis;

/// <summary>
/// <c>Audit:Identity</c>: where identity's access tokens come from. With it, an organization's Owners, Admins and
/// Auditors read its audit log with their own tokens through the gateway, validated here again
/// (<see cref="Platform.Security.Authentication.AccessTokenHandler"/>) rather than trusted from the gateway's headers.
/// </summary>
internal sealed class AuditIdentityOptions : AccessTokenOptions
{
    public const string SectionName = "Audit:Identity";
}
