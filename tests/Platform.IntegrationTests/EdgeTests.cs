using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>
/// SPEC GW-IP and GW-RATE through both gateway replicas, with keys and organization policies administered at the
/// keys service's own endpoint: per-key limits shared through Redis, organization allowlists applied within
/// seconds of a change, and a client's own <c>X-Forwarded-For</c> believed by no one.
/// </summary>
[Collection(Collections.Platform)]
public sealed class EdgeTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    [Fact]
    public async Task A_keys_own_limit_holds_across_both_replicas_and_its_answers_say_so()
    {
        var key = await CreateKeyAsync(new { requests = 12, windowSeconds = 60 });
        using var first = app.CreateHttpClient("gateway", replica: 0);
        using var second = app.CreateHttpClient("gateway", replica: 1);

        var responses = await Task.WhenAll(Enumerable.Range(0, 30).Select(async n =>
        {
            using var response = await SendAsync(n % 2 == 0 ? first : second, key);
            return (response.StatusCode, Policy: response.Headers.GetValues("RateLimit-Policy").Single(), RetryAfter: response.Headers.RetryAfter?.Delta);
        }));

        Assert.Equal(12, responses.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.Equal(18, responses.Count(r => r.StatusCode == HttpStatusCode.TooManyRequests));
        Assert.All(responses, r => Assert.Equal("\"key\";q=12;w=60, \"organization\";q=3000;w=60", r.Policy));
        Assert.All(responses.Where(r => r.StatusCode == HttpStatusCode.TooManyRequests), r => Assert.NotNull(r.RetryAfter));
    }

    [Fact]
    public async Task An_organization_allowlist_applies_to_its_keys_within_seconds_of_each_change()
    {
        var key = await CreateKeyAsync(rateLimit: null);
        using var client = app.CreateHttpClient("gateway", replica: 1);
        using (var before = await SendAsync(client, key)) Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await SetAllowlistAsync("10.0.0.0/8", "2001:db8::/32");
        var refused = await WaitForStatusAsync(client, key, HttpStatusCode.Forbidden);
        using (var problem = JsonDocument.Parse(await refused.Content.ReadAsStringAsync()))
        {
            Assert.Equal("https://platform.dev/problems/ip-not-allowed", problem.RootElement.GetProperty("type").GetString());
        }

        var entry = await app.AuditEntryAsync($"organization={organization}&action=organization.request-from-disallowed-ip&requestId={refused.Headers.GetValues("X-Request-Id").Single()}");
        Assert.Equal("denied", entry.GetProperty("outcome").GetString());
        refused.Dispose();

        // Loopback over IPv4 and IPv6 is allowed again.
        await SetAllowlistAsync("127.0.0.1/32", "::1/128");
        (await WaitForStatusAsync(client, key, HttpStatusCode.OK)).Dispose();
    }

    [Fact]
    public async Task Allowlists_tell_ipv6_from_ipv4_clients()
    {
        var key = await CreateKeyAsync(rateLimit: null);
        using var overIpv4 = app.CreateHttpClient("gateway");
        var port = app.GetEndpoint("gateway").Port;
        using var overIpv6 = new HttpClient(app.CreateHandler("gateway")) { BaseAddress = new Uri($"https://[::1]:{port}") };

        await SetAllowlistAsync("::1/128");
        (await WaitForStatusAsync(overIpv4, key, HttpStatusCode.Forbidden)).Dispose();
        using (var allowed = await SendAsync(overIpv6, key))
        {
            Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
            var headers = (await allowed.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("headers");
            Assert.Equal("::1", headers.GetProperty("x-platform-client-address").GetString());
        }

        await SetAllowlistAsync("2001:db8::/32", "127.0.0.1/32");
        (await WaitForStatusAsync(overIpv6, key, HttpStatusCode.Forbidden)).Dispose();
        using var ipv4 = await SendAsync(overIpv4, key);
        Assert.Equal(HttpStatusCode.OK, ipv4.StatusCode);
    }

    [Fact]
    public async Task A_spoofed_forwarding_header_from_an_untrusted_client_changes_nothing()
    {
        // The gateway trusts no proxy in this deployment: the connection's address is the client's.
        var elsewhere = await CreateKeyAsync(rateLimit: null, allowedCidrs: ["203.0.113.0/24"]);
        using var client = app.CreateHttpClient("gateway");

        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_1");
        spoofed.Headers.TryAddWithoutValidation("X-Api-Key", elsewhere);
        spoofed.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.5");
        using var refused = await client.SendAsync(spoofed);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);

        var here = await CreateKeyAsync(rateLimit: null);
        using var echoed = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_1");
        echoed.Headers.TryAddWithoutValidation("X-Api-Key", here);
        echoed.Headers.TryAddWithoutValidation("X-Forwarded-For", "203.0.113.5");
        echoed.Headers.TryAddWithoutValidation("Forwarded", "for=203.0.113.5");
        using var response = await client.SendAsync(echoed);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("headers");
        Assert.Equal("127.0.0.1", headers.GetProperty("x-platform-client-address").GetString());
        Assert.DoesNotContain("203.0.113.5", headers.GetRawText());
    }

    [Theory]
    [InlineData("[\"10.0.0.0/33\"]")]
    [InlineData("[\"10.1.2.3/8\"]")]
    [InlineData("[\"not-an-address\"]")]
    [InlineData("\"10.0.0.0/8\"")]
    public async Task A_malformed_allowlist_is_a_400_and_changes_nothing(string allowedCidrs)
    {
        await SetAllowlistAsync("127.0.0.1/32");
        using var admin = app.KeysAdministrator();
        using var content = new StringContent($"{{\"allowedCidrs\":{allowedCidrs}}}", System.Text.Encoding.UTF8, "application/json");
        using var response = await admin.PutAsync($"/v1/organizations/{organization}/network-policy", content);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);

        var policy = await admin.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/network-policy");
        Assert.Equal(["127.0.0.1/32"], policy.GetProperty("allowedCidrs").EnumerateArray().Select(e => e.GetString()));
    }

    private async Task<HttpResponseMessage> WaitForStatusAsync(HttpClient client, string key, HttpStatusCode expected)
    {
        var since = Stopwatch.StartNew();
        while (true)
        {
            var response = await SendAsync(client, key);
            if (response.StatusCode == expected) return response;
            response.Dispose();
            Assert.True(since.Elapsed < TimeSpan.FromSeconds(5), $"the gateway did not answer {(int)expected} within 5 s of the policy change");
            await Task.Delay(50);
        }
    }

    private async Task SetAllowlistAsync(params string[] cidrs)
    {
        using var admin = app.KeysAdministrator();
        using var response = await admin.PutAsJsonAsync($"/v1/organizations/{organization}/network-policy", new { allowedCidrs = cidrs });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    private async Task<string> CreateKeyAsync(object? rateLimit, string[]? allowedCidrs = null)
    {
        using var admin = app.KeysAdministrator();
        using var created = await admin.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "edge",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "full" } },
            allowedCidrs,
            rateLimit,
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        return (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_1");
        request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        return await client.SendAsync(request);
    }
}
