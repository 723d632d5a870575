using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// The real gateway, one replica, started through the AppHost model by the test harness (build configuration of
/// this bench), with a keyed route to the trivial upstream and every edge feature it has switched on.
/// </summary>
internal static class EdgeGateway
{
    public const string Path = "/v1/datasets/bench";
    private static readonly string[] Loopback = ["127.0.0.1/32", "::1/128"];

    public static async Task<TestingApplication> StartAsync(Uri upstream, IEnumerable<(string Name, string Value)> settings)
    {
        var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
        app.KeepOnly("gateway");
        app.WithReplicas("gateway", 1);
        app.WithEnvironment("gateway", "ReverseProxy__Clusters__product__Destinations__primary__Address", upstream.ToString());
        app.WithEnvironment("gateway", "ReverseProxy__Routes__datasets__ClusterId", "product");
        app.WithEnvironment("gateway", "ReverseProxy__Routes__datasets__Match__Path", "/v1/datasets/{**rest}");
        app.WithEnvironment("gateway", "ReverseProxy__Routes__datasets__Metadata__Permission", "dataset");
        app.WithEnvironment("gateway", "ReverseProxy__Routes__datasets__Metadata__Levels", "full,read_only");
        app.WithEnvironment("gateway", "ReverseProxy__Routes__datasets__Metadata__Environment", "live");
        // Rate limiting stays on (one Redis round trip per request) with limits no run can reach: the bench
        // organization's plan allows a million a second per key and per organization (the finest rate the GCRA, counting in
        // microseconds, can express: ten million a second makes its emission interval 0 and every request a 500).
        foreach (var scope in new[] { "Key", "Organization" })
        {
            app.WithEnvironment("gateway", $"Gateway__RateLimits__Plans__bench__{scope}__Requests", "1000000");
            app.WithEnvironment("gateway", $"Gateway__RateLimits__Plans__bench__{scope}__WindowSeconds", "1");
        }

        app.WithEnvironment("gateway", "Gateway__RateLimits__OrganizationPlans__org_bench", "bench");
        // On a loaded machine a Redis answer may take longer than the 500 ms default, and the replica would then limit on
        // its own (a mode of its own, with other work and other answers): the bench measures the shared limits.
        app.WithEnvironment("gateway", "Gateway__RateLimits__RedisTimeout", "00:00:03");
        foreach (var (name, value) in settings) app.WithEnvironment("gateway", name, value);
        await app.StartAsync();
        return app;
    }

    /// <summary>
    /// A real key from the keys service (its own endpoint: the gateway refuses operator tokens): read-only dataset scope, an IP allowlist that holds
    /// loopback (so the allowlist is checked on every request and passes), and the highest per-key rate limit the
    /// keys service accepts (a million a second), far above what this machine can send. Its organization gets an
    /// allowlist with loopback too.
    /// </summary>
    public static async Task<string> CreateKeyAsync(TestingApplication app)
    {
        var token = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("keys-admin-token"));
        using var admin = new HttpClient { BaseAddress = app.GetEndpoint("keys", "http") };
        admin.DefaultRequestHeaders.Authorization = token;
        using (var policy = await admin.PutAsJsonAsync("/v1/organizations/org_bench/network-policy", new { allowedCidrs = Loopback }))
        {
            if (!policy.IsSuccessStatusCode) throw new InvalidOperationException($"Setting the organization's allowlist failed: {(int)policy.StatusCode} {await policy.Content.ReadAsStringAsync()}");
        }

        using var created = await admin.PostAsJsonAsync("/v1/organizations/org_bench/keys", new
        {
            name = "edge-bench",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "read_only" } },
            allowedCidrs = Loopback,
            rateLimit = new { requests = 1_000_000, windowSeconds = 1 },
        });
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"Creating the bench key failed: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        return body.GetProperty("key").GetString()!;
    }

    /// <summary>One request as wrk will send it, so that a refusal shows up as a message rather than as speed.</summary>
    public static async Task CheckAsync(HttpClient client, Uri url, string key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Add("X-Api-Key", key);
        using var response = await client.SendAsync(request);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"{url} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
        }
    }
}
