using Microsoft.Extensions.Options;
using Platform.Keys.Secrets;
using Platform.Security.Authentication;

namespace Platform.Keys.Security;

/// <summary>
/// The static credentials this service takes, on direct calls only: administrators (<c>Keys:Administrators</c>) and
/// secret consumers (<c>Keys:Secrets:Consumers</c>), each from its <c>Networks</c> (default loopback) and audited as
/// operators; the gateway's service tokens (<c>Keys:ServiceTokens</c>), from anywhere and not audited per call (the
/// gateway verifies keys at request rate).
/// </summary>
internal sealed class KeysCredentials(IOptions<KeysOptions> keys, IOptions<KeySecretsOptions> secrets) : IOperatorCredentialSource
{
    public const string Administrator = "keys-administrator";
    public const string Gateway = "keys-gateway";
    public const string SecretConsumer = "secret-consumer";

    public IReadOnlyList<OperatorCredential> Credentials { get; } =
    [
        .. keys.Value.Administrators.Select((a, index) =>
            new OperatorCredential(a.Name, Administrator, a.Token, a.Organizations, OperatorNetworks.Parse(a.Networks, $"Keys:Administrators:{index}", new List<string>()))),
        .. keys.Value.ServiceTokens.Select((token, index) =>
            new OperatorCredential($"gateway-{index}", Gateway, token, ["*"], null) { Audited = false }),
        .. secrets.Value.Consumers.Select((c, index) =>
            new OperatorCredential(c.Name, SecretConsumer, c.Token, c.Organizations, OperatorNetworks.Parse(c.Networks, $"{KeySecretsOptions.Section}:Consumers:{index}", new List<string>()))),
    ];
}
