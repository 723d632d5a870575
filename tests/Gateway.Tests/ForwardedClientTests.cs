using System.Net;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Platform.Gateway.ClientAddresses;
using Platform.Security.Gateway;

namespace Platform.Gateway.Tests;

/// <summary>
/// The browser's address the security console forwards (issue 19): believed only with the console's signature, made
/// with the key the gateway holds, for this method, target and credential, within a minute. Anything else — a
/// client's own header, another key, another token, a stale or replayed signature — leaves the connection's address,
/// and the headers never reach an upstream.
/// </summary>
public sealed class ForwardedClientTests
{
    private static readonly byte[] Key = RandomNumberGenerator.GetBytes(32);
    private static readonly IPAddress Console = IPAddress.Parse("10.1.2.3");
    private const string Browser = "203.0.113.7";
    private const string Target = "/v1/organizations/org_abc/keys?limit=100";
    private const string Authorization = "Bearer eyJhbGciOi.token.sig";
    private readonly FakeTimeProvider time = new(new DateTimeOffset(2026, 12, 6, 9, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task The_consoles_signed_address_is_the_client_and_the_headers_go_no_further()
    {
        var context = await RunAsync(Signed());
        Assert.Equal(IPAddress.Parse(Browser), context.ClientAddress());
        Assert.Equal(Console, context.Features.Get<ClientAddressFeature>()!.Peer);
        Assert.False(context.Request.Headers.ContainsKey(ForwardedClient.AddressHeader));
        Assert.False(context.Request.Headers.ContainsKey(ForwardedClient.SignatureHeader));
    }

    public static TheoryData<string> Forgeries() =>
    [
        "no signature", "another key", "another address", "another token", "another target", "another method", "stale", "from the future",
        "two addresses", "not an address", "no key at the gateway",
    ];

    [Theory]
    [MemberData(nameof(Forgeries))]
    public async Task Anything_but_the_consoles_signature_leaves_the_connections_address(string forgery)
    {
        var key = forgery == "another key" ? RandomNumberGenerator.GetBytes(32) : Key;
        var seconds = time.GetUtcNow().ToUnixTimeSeconds() + forgery switch { "stale" => -61, "from the future" => 61, _ => 0 };
        var signature = ForwardedClient.Sign(key, seconds, forgery == "another method" ? "DELETE" : "GET", forgery == "another target" ? "/v1/organizations/org_other/keys" : Target,
            forgery == "not an address" ? "203.0.113.7:443" : Browser, forgery == "another token" ? "Bearer stolen" : Authorization);
        var headers = new HeaderDictionary
        {
            ["Authorization"] = Authorization,
            [ForwardedClient.AddressHeader] = forgery switch
            {
                "another address" => "198.51.100.1",
                "two addresses" => new Microsoft.Extensions.Primitives.StringValues([Browser, "198.51.100.1"]),
                "not an address" => "203.0.113.7:443",
                _ => Browser,
            },
        };
        if (forgery != "no signature") headers[ForwardedClient.SignatureHeader] = signature;

        var context = await RunAsync(headers, withKey: forgery != "no key at the gateway");
        Assert.Equal(Console, context.ClientAddress());
        Assert.False(context.Request.Headers.ContainsKey(ForwardedClient.AddressHeader));
        Assert.False(context.Request.Headers.ContainsKey(ForwardedClient.SignatureHeader));
    }

    private HeaderDictionary Signed() => new()
    {
        ["Authorization"] = Authorization,
        [ForwardedClient.AddressHeader] = Browser,
        [ForwardedClient.SignatureHeader] = ForwardedClient.Sign(Key, time.GetUtcNow().ToUnixTimeSeconds(), "GET", Target, Browser, Authorization),
    };

    private async Task<HttpContext> RunAsync(HeaderDictionary headers, bool withKey = true)
    {
        var options = new GatewayOptions();
        if (withKey) options.ConsoleForwarding.Key = Convert.ToBase64String(Key);
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = Console;
        context.Request.Method = "GET";
        context.Request.Path = "/v1/organizations/org_abc/keys";
        context.Request.QueryString = new QueryString("?limit=100");
        context.Features.Get<IHttpRequestFeature>()!.RawTarget = Target;
        foreach (var (name, value) in headers) context.Request.Headers[name] = value;
        var middleware = new ClientAddressMiddleware(_ => Task.CompletedTask, Options.Create(options), time);
        await middleware.InvokeAsync(context);
        return context;
    }
}
