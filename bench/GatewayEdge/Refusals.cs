using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// What the bench proves before it measures (issue 20, "Bad input"): with every speed-up on, the gateway still refuses a
/// revoked key (used once first, so that its answer is cached, and refused at once after the revocation), an over-limit
/// client, a bad signature (an access token signed by no one the gateway trusts, and a key whose checksum is wrong)
/// and a key used from an address outside its allowlist. Any other answer stops the bench.
/// </summary>
internal static class Refusals
{
    public static async Task<List<string>> CheckAsync(TestingApplication app, HttpClient client, Uri url)
    {
        using var admin = new HttpClient { BaseAddress = app.GetEndpoint("keys", "http") };
        admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("keys-admin-token"));
        var seen = new List<string>();

        var (revokedId, revoked) = await CreateKeyAsync(admin, "edge-bench-revoked", ["127.0.0.1/32", "::1/128"], 1_000_000);
        await ExpectAsync(client, url, revoked, HttpStatusCode.OK);
        using (var revocation = await admin.PostAsync($"/v1/organizations/org_bench/keys/{revokedId}/revoke", null))
        {
            revocation.EnsureSuccessStatusCode();
        }

        var since = Stopwatch.StartNew();
        while (await StatusAsync(client, url, revoked) != HttpStatusCode.Unauthorized)
        {
            if (since.Elapsed > TimeSpan.FromSeconds(1)) throw new InvalidOperationException("A revoked key was still accepted a second after its revocation.");
        }

        seen.Add($"revoked key 401 ({since.Elapsed.TotalMilliseconds:0} ms after the revocation)");

        var (_, limited) = await CreateKeyAsync(admin, "edge-bench-limited", ["127.0.0.1/32", "::1/128"], 3);
        var statuses = new List<HttpStatusCode>();
        for (var n = 0; n < 5; n++) statuses.Add(await StatusAsync(client, url, limited));
        if (statuses.Count(s => s == HttpStatusCode.OK) != 3 || statuses.Count(s => s == HttpStatusCode.TooManyRequests) != 2)
        {
            throw new InvalidOperationException($"A key limited to 3 a minute got: {string.Join(", ", statuses.Select(s => (int)s))}.");
        }

        seen.Add("over-limit key 429 (3 of 5 allowed)");

        // header.payload.signature, ES256 in the header, a signature that no key of identity made.
        await ExpectAsync(client, url, null, HttpStatusCode.Unauthorized, bearer: "eyJhbGciOiJFUzI1NiIsImtpZCI6ImZvcmdlZCJ9.eyJzdWIiOiJ1c3JfZm9yZ2VkIiwib3JnX2lkIjoib3JnX2JlbmNoIn0.c2lnbmVkIGJ5IG5vIG9uZQ");
        seen.Add("forged access token 401");
        var tampered = revoked[..^1] + (revoked[^1] == 'A' ? 'B' : 'A');
        await ExpectAsync(client, url, tampered, HttpStatusCode.Unauthorized);
        seen.Add("key with a wrong checksum 401");

        var (_, elsewhere) = await CreateKeyAsync(admin, "edge-bench-elsewhere", ["203.0.113.0/24"], 1_000_000);
        await ExpectAsync(client, url, elsewhere, HttpStatusCode.Forbidden);
        seen.Add("key outside its allowlist 403");
        return seen;
    }

    private static async Task<(string Id, string Key)> CreateKeyAsync(HttpClient admin, string name, string[] cidrs, int perMinute)
    {
        using var created = await admin.PostAsJsonAsync("/v1/organizations/org_bench/keys", new
        {
            name,
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "read_only" } },
            allowedCidrs = cidrs,
            rateLimit = perMinute >= 1_000_000 ? new { requests = perMinute, windowSeconds = 1 } : new { requests = perMinute, windowSeconds = 60 },
        });
        if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"Creating {name} failed: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        return (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
    }

    private static async Task ExpectAsync(HttpClient client, Uri url, string? key, HttpStatusCode expected, string? bearer = null)
    {
        var status = await StatusAsync(client, url, key, bearer);
        if (status != expected) throw new InvalidOperationException($"Expected {(int)expected} from the gateway, got {(int)status}.");
    }

    private static async Task<HttpStatusCode> StatusAsync(HttpClient client, Uri url, string? key, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (key is not null) request.Headers.Add("X-Api-Key", key);
        if (bearer is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        using var response = await client.SendAsync(request);
        return response.StatusCode;
    }
}
