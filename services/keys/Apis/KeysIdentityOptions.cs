using Platform.Security.Tokens;

namespace Platform.Keys.Apis;

/// <summary>
/// <c>Keys:Identity</c>: where identity's access tokens come from. With it, an organization's Owners and Admins manage
/// its keys and network policy with their own tokens (SPEC ID-ORG, ID-MFA), validated here again
/// (<see cref="Platform.Security.Authentication.AccessTokenHandler"/>) rather than trusted from the gateway's headers.
/// </summary>
internal sealed class KeysIdentityOptions : AccessTokenOptions
{
    public const string SectionName = "Keys:Identity";
}
