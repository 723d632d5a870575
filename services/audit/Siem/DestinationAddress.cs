using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Platform.Audit.Siem;

/// <summary>
/// A syslog receiver's <c>host:port</c> (IPv6 in brackets). There is no scheme to choose: delivery is always TLS.
/// Non-public addresses (loopback, private, link-local, shared, multicast, reserved) are refused unless
/// <see cref="SiemOptions.AllowPrivateNetworks"/>: when the destination is set for an IP literal, and at every
/// connection for what a name resolves to (a name that later resolves inward is refused too).
/// </summary>
internal sealed record DestinationAddress(string Host, int Port)
{
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";

    public static bool TryParse(string? text, out DestinationAddress address, out string problem)
    {
        address = null!;
        problem = "";
        if (string.IsNullOrWhiteSpace(text) || text.Length > 300)
        {
            problem = "'endpoint' is the receiver's host:port (delivery is always syslog over TLS).";
            return false;
        }

        if (text.Contains("://", StringComparison.Ordinal))
        {
            problem = "'endpoint' is host:port without a scheme: delivery is always syslog over TLS (RFC 5425), never plain TCP or UDP.";
            return false;
        }

        var colon = text.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            problem = "'endpoint' needs a port from 1 to 65535 (RFC 5425's is 6514): host:port.";
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']')) host = host[1..^1];
        if (IPAddress.TryParse(host, out _) || Uri.CheckHostName(host) == UriHostNameType.Dns)
        {
            address = new DestinationAddress(host, port);
            return true;
        }

        problem = "'endpoint' names no valid host: a DNS name or an IP address, then :port.";
        return false;
    }

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
        return !(address.Equals(IPAddress.IPv6None) || address.IsIPv6LinkLocal || address.IsIPv6SiteLocal || address.IsIPv6Multicast
            || (v6[0] & 0xFE) == 0xFC
            || (v6[0] == 0x20 && v6[1] == 0x01 && v6[2] == 0x0D && v6[3] == 0xB8));
    }
}
