using System.Net;
using System.Net.Sockets;

namespace Platform.Identity.Sso;

/// <summary>
/// The connections to IdPs (discovery, JWKS, token endpoint) go to public addresses only: an Owner names the issuer,
/// so without this an issuer could make the service call loopback, private, link-local (cloud metadata) or CGNAT
/// addresses. Checked at each connection on what the name resolves to (no DNS-rebinding gap), unless
/// <c>Identity:Sso:AllowPrivateNetworks</c> (tests, an IdP inside the company network).
/// </summary>
internal static class IdpNetwork
{
    public static SocketsHttpHandler Handler(bool allowPrivateNetworks) => new()
    {
        AllowAutoRedirect = false,
        UseCookies = false,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        ConnectCallback = async (context, cancellationToken) =>
        {
            var host = context.DnsEndPoint.Host;
            var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, cancellationToken);
            var usable = addresses.Where(a => allowPrivateNetworks || IsPublic(a)).ToList();
            if (usable.Count == 0) throw new HttpRequestException($"The IdP host {host} has no public address.");
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(usable.ToArray(), context.DnsEndPoint.Port, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    };

    /// <summary>Whether an address is on the public internet, as far as the IANA special-purpose registries tell.</summary>
    public static bool IsPublic(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (IPAddress.IsLoopback(address)) return false;
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            var b = address.GetAddressBytes();
            return !(b[0] is 0 or 10 or 127 or >= 224
                || (b[0] == 100 && b[1] is >= 64 and < 128)
                || (b[0] == 169 && b[1] == 254)
                || (b[0] == 172 && b[1] is >= 16 and < 32)
                || (b[0] == 192 && b[1] == 168)
                || (b[0] == 192 && b[1] == 0 && b[2] is 0 or 2)
                || (b[0] == 198 && b[1] is 18 or 19)
                || (b[0] == 198 && b[1] == 51 && b[2] == 100)
                || (b[0] == 203 && b[1] == 0 && b[2] == 113));
        }

        var v6 = address.GetAddressBytes();
        return !(address.Equals(IPAddress.IPv6None) || address.Equals(IPAddress.IPv6Any) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (v6[0] & 0xFE) == 0xFC
            || (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0D && v6[3] == 0xB8));
    }
}
