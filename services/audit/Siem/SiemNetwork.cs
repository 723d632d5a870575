using System.Net;
using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Audit.Siem;

/// <summary>What every SIEM connection shares: where it may go (<see cref="DestinationAddress"/>) and how TLS is checked.</summary>
internal static class SiemNetwork
{
    /// <summary>The first address of the host that the destination may use.</summary>
    public static async Task<IPAddress> ResolveAsync(DestinationAddress destination, bool allowPrivateNetworks, CancellationToken cancellationToken)
    {
        var addresses = IPAddress.TryParse(destination.Host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(destination.Host, cancellationToken);
        var usable = addresses.Where(a => allowPrivateNetworks || DestinationAddress.IsPublic(a)).ToList();
        if (usable.Count > 0) return usable[0];
        throw new SiemDeliveryException(addresses.Length == 0
            ? $"{destination.Host} does not resolve."
            : $"{destination.Host} resolves only to non-public addresses, where audit entries are never sent.");
    }

    /// <summary>TLS 1.2 or 1.3, the host name checked, the system's roots or the destination's own CA.</summary>
    public static SslClientAuthenticationOptions Tls(SiemDestination destination)
    {
        var authentication = new SslClientAuthenticationOptions
        {
            TargetHost = destination.Address.Host,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        };
        if (destination.CaCertificate is { } pem)
        {
            // The destination's own CA replaces the system's roots (a SIEM behind a private CA).
            var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
            policy.CustomTrustStore.Add(X509Certificate2.CreateFromPem(pem));
            authentication.CertificateChainPolicy = policy;
        }

        return authentication;
    }
}
