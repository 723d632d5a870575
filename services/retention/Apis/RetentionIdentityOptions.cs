using Platform.Security.Tokens;

namespace Platform.Retention.Apis;

/// <summary><c>Retention:Identity</c>: where identity's access tokens come from; validated here again, not trusted from the gateway's headers.</summary>
internal sealed class RetentionIdentityOptions : AccessTokenOptions
{
    public const string SectionName = "Retention:Identity";
}
