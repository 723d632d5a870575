using Platform.Security.Tokens;

namespace Platform.Residency.Apis;

/// <summary><c>Residency:Identity</c>: where identity's access tokens come from; validated here again, not trusted from the gateway's headers.</summary>
internal sealed class ResidencyIdentityOptions : AccessTokenOptions
{
    public const string SectionName = "Residency:Identity";
}
