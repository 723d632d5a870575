using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Residency.Security;

/// <summary>
/// The services that read organizations' residency directly (<c>Residency:ServiceTokens</c>; the gateway routes by
/// it): from anywhere and not audited per call, like the gateway's credential at the keys service. And the operators
/// who scan organizations for leaks (<c>Residency:Operators</c>): direct calls from their networks, every use audited.
/// </summary>
internal sealed class ResidencyCredentials(IOptions<ResidencyOptions> options) : IOperatorCredentialSource
{
    public const string Reader = "residency-reader";
    public const string Operator = "residency-operator";

    public IReadOnlyList<OperatorCredential> Credentials { get; } =
    [
        .. options.Value.ServiceTokens.Select((token, index) => new OperatorCredential($"service-{index}", Reader, token, ["*"], null) { Audited = false }),
        .. options.Value.Operators.Select((op, index) => new OperatorCredential(op.Name, Operator, op.Token, op.Organizations,
            OperatorNetworks.Parse(op.Networks, $"Residency:Operators:{index}", new List<string>()))),
    ];
}
