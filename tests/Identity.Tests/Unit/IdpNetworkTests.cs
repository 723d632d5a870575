using System.Net;
using Platform.Identity.Sso;

namespace Platform.Identity.Tests.Unit;

/// <summary>An Owner names the issuer: the service must not be made to call its own network (SSRF).</summary>
public sealed class IdpNetworkTests
{
    [Theory]
    [InlineData("127.0.0.1")]
    [InlineData("10.1.2.3")]
    [InlineData("172.16.0.1")]
    [InlineData("192.168.1.1")]
    [InlineData("169.254.169.254")]
    [InlineData("100.64.0.1")]
    [InlineData("0.0.0.0")]
    [InlineData("::1")]
    [InlineData("fd00::1")]
    [InlineData("fe80::1")]
    [InlineData("::ffff:10.0.0.1")]
    public void Non_public_addresses_are_refused(string address) => Assert.False(IdpNetwork.IsPublic(IPAddress.Parse(address)));

    [Theory]
    [InlineData("8.8.8.8")]
    [InlineData("2606:4700::1111")]
    public void Public_addresses_are_allowed(string address) => Assert.True(IdpNetwork.IsPublic(IPAddress.Parse(address)));

    [Fact]
    public async Task Without_the_setting_a_loopback_IdP_is_not_reached()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var client = new HttpClient(IdpNetwork.Handler(allowPrivateNetworks: false));
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => client.GetAsync($"http://127.0.0.1:{port}/.well-known/openid-configuration"));
        Assert.Contains("no public address", refused.Message + refused.InnerException?.Message, StringComparison.Ordinal);
        Assert.False(listener.Pending());
    }
}
