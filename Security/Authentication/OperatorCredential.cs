using System.Net;

namespace Platform.Security.Authentication;

/// <summary>
/// A static credential from configuration (an operator, or another service): accepted only on direct calls to the
/// service and only from <see cref="Networks"/> (null: from anywhere, for service-to-service credentials whose callers
/// are not at fixed addresses).
/// </summary>
public sealed record OperatorCredential(string Name, string Role, string Token, IReadOnlyList<string> Organizations, IReadOnlyList<IPNetwork>? Networks)
{
    /// <summary>Whether each use is an audit event (operators); the gateway's own per-request calls are not.</summary>
    public bool Audited { get; init; } = true;

    public bool AllowsFrom(IPAddress? address) =>
        Networks is null || address is null || Networks.Any(n => n.Contains(address));
}

/// <summary>The operator credentials a service accepts; each service registers one from its own settings.</summary>
public interface IOperatorCredentialSource
{
    IReadOnlyList<OperatorCredential> Credentials { get; }
}

/// <summary>The <c>…:Networks:N</c> settings of an operator credential: CIDRs, default loopback only.</summary>
public static class OperatorNetworks
{
    public static readonly IReadOnlyList<IPNetwork> Loopback = [IPNetwork.Parse("127.0.0.0/8"), IPNetwork.Parse("::1/128")];

    /// <summary>The networks, or every error under <paramref name="path"/> (values are CIDRs, not secrets: they are named).</summary>
    public static IReadOnlyList<IPNetwork> Parse(IReadOnlyList<string>? cidrs, string path, ICollection<string> errors)
    {
        if (cidrs is null || cidrs.Count == 0) return Loopback;
        var networks = new List<IPNetwork>();
        for (var index = 0; index < cidrs.Count; index++)
        {
            if (IPNetwork.TryParse(cidrs[index], out var network) && !HasHostBits(cidrs[index], network)) networks.Add(network);
            else errors.Add($"{path}:Networks:{index} is not a CIDR range without host bits (e.g. 10.0.0.0/8 or fd00::/8).");
        }

        return networks;
    }

    /// <summary>Whether the text names an address beyond the prefix (10.1.2.3/8): refused rather than widened.</summary>
    private static bool HasHostBits(string cidr, IPNetwork network)
    {
        var slash = cidr.IndexOf('/', StringComparison.Ordinal);
        return slash > 0 && IPAddress.TryParse(cidr.AsSpan(0, slash), out var address) && !address.Equals(network.BaseAddress);
    }
}
