using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Residency.Security;

/// <summary>
/// The services that read organizations' residency directly (<c>Residency:ServiceTokens</c>; the gateway routes by
/// it): from anywhere and not audited per call, like the gateway's credential at the keys service.
/// </summary>
internal sealed class ResidencyCredentials(IOptions<ResidencyOptions> options) : IOperatorCredentialSource
{
    public const string Reader = "residency-reader";

    public IReadOnlyList<OperatorCredential> Credentials { get; } = options.Value.ServiceTokens
        .Select((token, index) => new OperatorCredential($"service-{index}", Reader, token, ["*"], null) { Audited = false })
        .ToList();
}
