using System.Net;
using Microsoft.Extensions.Primitives;
using Platform.Gateway.ClientAddresses;

namespace Platform.Gateway.Tests;

public sealed class ClientAddressResolverTests
{
    private static readonly ClientAddressResolver BehindProxies = new([IPNetwork.Parse("10.0.0.0/8"), IPNetwork.Parse("fd00::/8")]);
    private static readonly ClientAddressResolver Direct = new([]);

    [Theory]
    [InlineData("198.51.100.7", "198.51.100.7")]
    [InlineData("198.51.100.7, 10.0.0.2", "198.51.100.7")]
    [InlineData("203.0.113.66, 198.51.100.7, 10.0.0.2", "198.51.100.7")]
    [InlineData("203.0.113.66, 198.51.100.7", "198.51.100.7")]
    [InlineData("[2001:db8::5]:4711, fd00::1", "2001:db8::5")]
    [InlineData("198.51.100.7:51234", "198.51.100.7")]
    [InlineData("2001:db8::9", "2001:db8::9")]
    [InlineData("::ffff:198.51.100.7", "198.51.100.7")]
    public void From_a_trusted_proxy_the_rightmost_untrusted_entry_is_the_client(string forwardedFor, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), BehindProxies.Resolve(IPAddress.Parse("10.1.1.1"), forwardedFor));
    }

    [Fact]
    public void Several_header_lines_are_read_as_one_list_from_the_right()
    {
        Assert.Equal(IPAddress.Parse("198.51.100.7"),
            BehindProxies.Resolve(IPAddress.Parse("10.1.1.1"), new StringValues(["203.0.113.66", "198.51.100.7, 10.0.0.3"])));
    }

    [Theory]
    [InlineData("198.51.100.7")]
    [InlineData("")]
    public void From_an_untrusted_peer_the_header_is_ignored(string forwardedFor)
    {
        Assert.Equal(IPAddress.Parse("192.0.2.10"), BehindProxies.Resolve(IPAddress.Parse("192.0.2.10"), forwardedFor));
        Assert.Equal(IPAddress.Parse("10.1.1.1"), Direct.Resolve(IPAddress.Parse("10.1.1.1"), forwardedFor));
    }

    [Theory]
    [InlineData("garbage, 10.0.0.2", "10.0.0.2")]
    [InlineData("198.51.100.7, not-an-ip", "10.1.1.1")]
    [InlineData("999.1.1.1", "10.1.1.1")]
    [InlineData("[::1", "10.1.1.1")]
    [InlineData(", ,", "10.1.1.1")]
    public void A_malformed_entry_ends_the_walk_at_the_last_believed_proxy(string forwardedFor, string expected)
    {
        Assert.Equal(IPAddress.Parse(expected), BehindProxies.Resolve(IPAddress.Parse("10.1.1.1"), forwardedFor));
    }

    [Fact]
    public void Only_a_bounded_number_of_hops_is_read()
    {
        var chain = string.Join(", ", Enumerable.Repeat("10.0.0.9", 50));
        Assert.Equal(IPAddress.Parse("10.0.0.9"), BehindProxies.Resolve(IPAddress.Parse("10.1.1.1"), "198.51.100.7, " + chain));
    }

    [Fact]
    public void An_ipv4_mapped_peer_counts_as_its_ipv4_address()
    {
        Assert.Equal(IPAddress.Parse("198.51.100.7"), BehindProxies.Resolve(IPAddress.Parse("::ffff:10.1.1.1"), "198.51.100.7"));
    }
}
