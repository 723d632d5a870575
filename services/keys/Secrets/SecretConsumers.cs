using Microsoft.Extensions.Options;
using Platform.Keys.Apis;

namespace Platform.Keys.Secrets;

/// <summary>The services a secret's value may be revealed to: <c>Keys:Secrets:Consumers</c>, each limited to its organizations.</summary>
internal sealed class SecretConsumers(IOptions<KeySecretsOptions> options)
{
    private readonly List<SecretConsumer> consumers = options.Value.Consumers;
    private readonly byte[][] hashes = options.Value.Consumers.Select(c => BearerTokens.Hash(c.Token)).ToArray();

    public SecretConsumer? Authenticate(HttpRequest request) =>
        BearerTokens.Match(request, hashes) is var index and >= 0 ? consumers[index] : null;
}
