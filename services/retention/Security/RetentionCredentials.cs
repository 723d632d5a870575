using Microsoft.Extensions.Options;
using Platform.Security.Authentication;

namespace Platform.Retention.Security;

/// <summary>The operators of <c>Retention:Operators</c>: direct calls only, from their networks (default loopback), audited.</summary>
internal sealed class RetentionCredentials(IOptions<RetentionOptions> options) : IOperatorCredentialSource
{
    public const string Operator = "retention-operator";

    public IReadOnlyList<OperatorCredential> Credentials { get; } = options.Value.Operators
        .Select((o, index) => new OperatorCredential(o.Name, Operator, o.Token, o.Organizations, OperatorNetworks.Parse(o.Networks, $"Retention:Operators:{index}", new List<string>())))
        .ToList();
}
