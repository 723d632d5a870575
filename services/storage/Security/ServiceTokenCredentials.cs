using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Storage.Security;

/// <summary><c>Storage:ServiceTokens</c> as operator credentials: direct calls only, from their networks (default loopback).</summary>
internal sealed class ServiceTokenCredentials(IOptions<StorageOptions> options) : IOperatorCredentialSource
{
    public const string Role = "storage-service";

    public IReadOnlyList<OperatorCredential> Credentials { get; } = options.Value.ServiceTokens
        .Select((c, index) => new OperatorCredential(c.Name, Role, c.Token, c.Organizations, OperatorNetworks.Parse(c.Networks, $"Storage:ServiceTokens:{index}", new List<string>())))
        .ToList();
}
