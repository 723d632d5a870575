using System.Net;
using Microsoft.Extensions.Primitives;

namespace Platform.Gateway.ClientAddresses;

/// <summary>
/// Who the client is (SPEC GW-IP): the connection's address, unless the connection comes from a trusted proxy. Then
/// <c>X-Forwarded-For</c> is read from the right, skipping trusted proxies, and the first address that is not one of
/// them is the client. Entries left of it were written by the client itself and are never believed.
/// </summary>
internal sealed class ClientAddressResolver(IReadOnlyList<IPNetwork> trustedProxies)
{
    /// <summary>No more hops than this are read: a longer header is a client's invention, not a real chain.</summary>
    public const int MaxHops = 20;

    public bool IsTrusted(IPAddress address)
    {
        // A loop, not LINQ: this runs for every request.
        for (var index = 0; index < trustedProxies.Count; index++)
        {
            if (trustedProxies[index].Contains(address)) return true;
        }

        return false;
    }

    /// <summary>
    /// The client's address. A malformed entry ends the walk: the last proxy that was believed is then the client,
    /// because whatever it forwarded cannot be read.
    /// </summary>
    public IPAddress Resolve(IPAddress peer, StringValues forwardedFor)
    {
        var client = Normalize(peer);
        if (trustedProxies.Count == 0 || !IsTrusted(client) || StringValues.IsNullOrEmpty(forwardedFor)) return client;

        var hops = 0;
        for (var header = forwardedFor.Count - 1; header >= 0; header--)
        {
            var entries = (forwardedFor[header] ?? "").Split(',');
            for (var index = entries.Length - 1; index >= 0; index--)
            {
                if (++hops > MaxHops || !TryParseEntry(entries[index], out var address)) return client;
                client = address;
                if (!IsTrusted(address)) return address;
            }
        }

        return client;
    }

    /// <summary>An entry is an IPv4 or IPv6 address, optionally bracketed and with a port (some proxies add one).</summary>
    public static bool TryParseEntry(string entry, out IPAddress address)
    {
        var text = entry.AsSpan().Trim();
        address = IPAddress.None;
        if (text.IsEmpty || text.Length > 64) return false;
        if (text[0] == '[')
        {
            var end = text.IndexOf(']');
            if (end < 0) return false;
            text = text[1..end];
        }
        else if (text.Count(':') == 1)
        {
            text = text[..text.IndexOf(':')];
        }

        if (!IPAddress.TryParse(text, out var parsed)) return false;
        address = Normalize(parsed);
        return true;
    }

    public static IPAddress Normalize(IPAddress address) => address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;
}
