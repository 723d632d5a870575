using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// The console's calls and an organization's IP allowlist (issue 19): the console calls the APIs through the gateway
/// from its own address, and forwards the browser's, signed with the key only it and the gateway hold, so an allowlist
/// that holds the person's address (here <c>::1</c>: a browser reaching a gateway replica over IPv6) but not the
/// console's (<c>127.0.0.1</c>, through the load balancer) still lets the person use the console. A client that sends
/// the forwarding headers itself gains nothing, and the page's lock-out guard still speaks of the browser's address.
/// </summary>
[Collection(Collections.Console)]
public sealed class AllowlistThroughConsoleTests(PlatformFixture fixture)
{
    [Fact]
    public async Task An_allowlist_of_the_browsers_address_admits_the_console_on_its_behalf_and_a_forged_forwarding_header_admits_nobody()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Allowlist");
        await owner.EnrolTotpAndStepUpAsync();
        var org = owner.OrganizationId!;
        using var overIPv6 = OverIPv6(owner.Cookies);

        // A key for the product route, made in the console (before any allowlist).
        var keys = await GetAsync(overIPv6, $"/console/o/{org}/keys");
        Assert.Equal(200, keys.Status);
        var created = await PostAsync(overIPv6, $"/console/o/{org}/keys", keys, [new("name", "pipeline"), new("environment", "live"), new("scope-dataset", "full")]);
        Assert.Equal(201, created.Status);
        var key = created.Value("new-key")!;

        // The network page sees the browser's address; a list without it is refused unless confirmed.
        var network = await GetAsync(overIPv6, $"/console/o/{org}/network");
        Assert.Equal(200, network.Status);
        Assert.Equal("::1", network.Text("your-address"));
        var lockout = await PostAsync(overIPv6, $"/console/o/{org}/network", network, [new("allowedCidrs", "203.0.113.0/24")]);
        Assert.Equal(400, lockout.Status);
        Assert.Contains("does not include your address ::1", lockout.Text("allowedCidrs-error"));
        Assert.Equal("203.0.113.0/24", lockout.Text("allowedCidrs"));

        // Only the browser's address: the console (127.0.0.1) is not in the list.
        var saved = await PostAsync(overIPv6, $"/console/o/{org}/network", network, [new("allowedCidrs", "::1/128")]);
        Assert.Equal(200, saved.Status);
        Assert.NotNull(saved.Text("notice"));

        // The same person over IPv4 is refused by the gateway as the allowlist takes effect (within seconds)...
        var applied = Stopwatch.StartNew();
        ConsoleUser.Page overIPv4;
        while ((overIPv4 = await owner.GetAsync($"/console/o/{org}/keys")).Status == 200)
        {
            Assert.True(applied.Elapsed < TimeSpan.FromSeconds(30), "the allowlist was not applied within 30 s");
            await Task.Delay(250);
        }

        Assert.Contains("data-type=\"https://platform.dev/problems/ip-not-allowed\"", overIPv4.Html);
        Assert.NotNull(overIPv4.Text("request-id"));

        // ...while over IPv6 the console's calls, from 127.0.0.1, are admitted for the browser at ::1.
        var admitted = await GetAsync(overIPv6, $"/console/o/{org}/keys");
        Assert.Equal(200, admitted.Status);
        Assert.Contains("id=\"create-key\"", admitted.Html);
        Assert.Equal("::1", (await GetAsync(overIPv6, $"/console/o/{org}/network")).Text("your-address"));

        // The key from IPv6 works; from IPv4, naming ::1 in the forwarding headers (no signature, a made-up one) does not.
        using (var productOverIPv6 = OverIPv6(new CookieContainer()))
        {
            Assert.Equal(HttpStatusCode.OK, await DatasetsAsync(productOverIPv6, org, key, null));
        }

        using var product = new HttpClient(fixture.App.CreateHandler("gateway")) { BaseAddress = fixture.Gateway };
        Assert.Equal(HttpStatusCode.Forbidden, await DatasetsAsync(product, org, key, null));
        Assert.Equal(HttpStatusCode.Forbidden, await DatasetsAsync(product, org, key, new() { ["X-Platform-Forwarded-Client"] = "::1" }));
        Assert.Equal(HttpStatusCode.Forbidden, await DatasetsAsync(product, org, key, new()
        {
            ["X-Platform-Forwarded-Client"] = "::1",
            ["X-Platform-Forwarded-Client-Signature"] = $"t={DateTimeOffset.UtcNow.ToUnixTimeSeconds()},v1=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
        }));
        Assert.Equal(HttpStatusCode.Forbidden, await DatasetsAsync(product, org, key, new() { ["X-Forwarded-For"] = "::1" }));
    }

    /// <summary>A browser with the same cookies that reaches the first gateway replica over IPv6 (the gateway listens on both loopbacks).</summary>
    private HttpClient OverIPv6(CookieContainer cookies)
    {
        var replica = fixture.App.GetEndpoint("gateway", replica: 0);
        var handler = fixture.App.CreateHandler("gateway");
        handler.CookieContainer = cookies;
        handler.AllowAutoRedirect = true;
        handler.MaxAutomaticRedirections = 20;
        handler.ConnectCallback = async (_, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetworkV6, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(new IPEndPoint(IPAddress.IPv6Loopback, replica.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        // The public address (cookies, identity's issuer); the connection goes to the replica.
        return new HttpClient(handler) { BaseAddress = fixture.Gateway, Timeout = TimeSpan.FromSeconds(120) };
    }

    private static async Task<ConsoleUser.Page> GetAsync(HttpClient browser, string path)
    {
        using var response = await browser.GetAsync(path);
        return await ConsoleUser.Page.ReadAsync(response);
    }

    private static async Task<ConsoleUser.Page> PostAsync(HttpClient browser, string path, ConsoleUser.Page page, List<KeyValuePair<string, string>> fields)
    {
        fields.Add(new("__console_af", page.Antiforgery));
        using var response = await browser.PostAsync(path, new FormUrlEncodedContent(fields));
        return await ConsoleUser.Page.ReadAsync(response);
    }

    private static async Task<HttpStatusCode> DatasetsAsync(HttpClient client, string org, string key, Dictionary<string, string>? headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{org}/datasets");
        request.Headers.Add("X-Api-Key", key);
        foreach (var (name, value) in headers ?? []) request.Headers.TryAddWithoutValidation(name, value);
        using var answer = await client.SendAsync(request);
        return answer.StatusCode;
    }
}
