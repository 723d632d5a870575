using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>SPEC GW-AUTH, GW-SCOPE, KEY-REVOKE through two gateway replicas over HTTPS, with keys from the keys service.</summary>
[Collection(Collections.Platform)]
public sealed class ApiKeyTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    [Fact]
    public async Task A_protected_route_without_a_key_is_401()
    {
        using var client = app.CreateHttpClient("gateway");
        using var response = await client.GetAsync("/v1/datasets/ds_1");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/api-key-required", (await Problem(response)).GetProperty("type").GetString());
    }

    [Theory]
    [InlineData("sk_live_short")]
    [InlineData("sk_live_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // right shape, wrong checksum
    [InlineData("sk_prod_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    [InlineData("not a key at all")]
    public async Task Malformed_and_made_up_keys_get_one_and_the_same_401(string key)
    {
        using var client = app.CreateHttpClient("gateway");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_1");
        request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/invalid-api-key", (await Problem(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_valid_key_reaches_the_upstream_as_a_verified_principal_and_never_as_a_secret()
    {
        var (keyId, key) = await CreateKeyAsync("read_only");
        using var client = app.CreateHttpClient("gateway");
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/datasets/ds_1");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
        request.Headers.TryAddWithoutValidation("X-Platform-Organization", "org_spoofed");
        request.Headers.TryAddWithoutValidation("X-Platform-Key-Id", "key_spoofed");
        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("headers");
        Assert.Equal(organization, headers.GetProperty("x-platform-organization").GetString());
        Assert.Equal(keyId, headers.GetProperty("x-platform-key-id").GetString());
        Assert.Equal("dataset:read_only", headers.GetProperty("x-platform-scopes").GetString());
        Assert.False(headers.TryGetProperty("authorization", out _));
        Assert.DoesNotContain(key, headers.GetRawText());
    }

    [Fact]
    public async Task A_read_only_key_cannot_write_and_a_key_without_the_permission_cannot_read()
    {
        var (_, readOnly) = await CreateKeyAsync("read_only");
        using var client = app.CreateHttpClient("gateway");
        using var write = await SendAsync(client, HttpMethod.Post, "/v1/datasets", readOnly);
        Assert.Equal(HttpStatusCode.Forbidden, write.StatusCode);
        Assert.Equal("https://platform.dev/problems/insufficient-scope", (await Problem(write)).GetProperty("type").GetString());

        var (_, training) = await CreateKeyAsync("full", permission: "training");
        using var read = await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", training);
        Assert.Equal(HttpStatusCode.Forbidden, read.StatusCode);

        var (_, full) = await CreateKeyAsync("full");
        using var allowed = await SendAsync(client, HttpMethod.Post, "/v1/datasets", full);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task A_key_is_refused_from_outside_its_ip_allowlist()
    {
        var (_, elsewhere) = await CreateKeyAsync("full", allowedCidrs: ["10.0.0.0/8", "2001:db8::/32"]);
        var (_, here) = await CreateKeyAsync("full", allowedCidrs: ["127.0.0.1/32"]);
        using var client = app.CreateHttpClient("gateway");

        using var refused = await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", elsewhere);
        Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        Assert.Equal("https://platform.dev/problems/ip-not-allowed", (await Problem(refused)).GetProperty("type").GetString());
        using var accepted = await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", here);
        Assert.Equal(HttpStatusCode.OK, accepted.StatusCode);
    }

    [Fact]
    public async Task A_revoked_key_is_refused_by_every_gateway_replica_within_one_second()
    {
        var (keyId, key) = await CreateKeyAsync("read_only");
        using var first = app.CreateHttpClient("gateway", replica: 0);
        using var second = app.CreateHttpClient("gateway", replica: 1);
        // Both replicas have verified (and cached) the key.
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(first, HttpMethod.Get, "/v1/datasets/ds_1", key)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(second, HttpMethod.Get, "/v1/datasets/ds_1", key)).StatusCode);

        using var admin = app.KeysAdministrator();
        using var revoked = await admin.PostAsync($"/v1/organizations/{organization}/keys/{keyId}/revoke", null);
        Assert.Equal(HttpStatusCode.OK, revoked.StatusCode);
        var since = Stopwatch.StartNew();

        // What is measured is when the first refused request was sent: how long the request itself takes on a
        // loaded machine is not part of the propagation.
        foreach (var client in new[] { first, second })
        {
            while (true)
            {
                var sentAt = since.Elapsed;
                using var response = await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", key);
                if (response.StatusCode == HttpStatusCode.Unauthorized) break;
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.True(sentAt < TimeSpan.FromSeconds(1), $"a replica still accepted the revoked key {sentAt.TotalMilliseconds:F0} ms after the revocation");
                await Task.Delay(20);
            }
        }
    }

    [Fact]
    public async Task A_well_formed_key_that_was_never_issued_is_401()
    {
        // Right prefix, alphabet and checksum (computed here independently: CRC32, 6 base62 digits), but unknown.
        var body = new string(Enumerable.Range(0, 32).Select(_ => Base62[Random.Shared.Next(62)]).ToArray());
        var unknown = "sk_live_" + body + Checksum("sk_live_" + body);
        using var client = app.CreateHttpClient("gateway");
        using var response = await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", unknown);
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/invalid-api-key", (await Problem(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task An_expired_key_is_refused_even_while_cached()
    {
        var (_, key) = await CreateKeyAsync("read_only", expiresAt: DateTimeOffset.UtcNow.AddSeconds(3));
        using var client = app.CreateHttpClient("gateway");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", key)).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", key)).StatusCode);
    }

    [Fact]
    public async Task A_rotated_key_keeps_working_for_the_overlap_and_not_after_while_the_new_one_works()
    {
        var (keyId, old) = await CreateKeyAsync("read_only");
        using var client = app.CreateHttpClient("gateway");
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", old)).StatusCode);

        using var admin = app.KeysAdministrator();
        using var rotated = await admin.PostAsJsonAsync($"/v1/organizations/{organization}/keys/{keyId}/rotate", new { overlapSeconds = 3 });
        Assert.Equal(HttpStatusCode.Created, rotated.StatusCode);
        var fresh = (await rotated.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("key").GetString()!;

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", old)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", fresh)).StatusCode);
        await Task.Delay(TimeSpan.FromSeconds(4));
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", old)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", fresh)).StatusCode);
    }

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private static string Checksum(string text)
    {
        var crc = System.IO.Hashing.Crc32.HashToUInt32(System.Text.Encoding.ASCII.GetBytes(text));
        var digits = new char[6];
        for (var i = 5; i >= 0; i--)
        {
            digits[i] = Base62[(int)(crc % 62)];
            crc /= 62;
        }

        return new string(digits);
    }

    [Fact]
    public async Task A_test_key_is_refused_on_a_live_route()
    {
        var (_, key) = await CreateKeyAsync("full", environment: "test");
        Assert.StartsWith("sk_test_", key);
        using var client = app.CreateHttpClient("gateway");
        using var response = await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", key);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("https://platform.dev/problems/wrong-environment", (await Problem(response)).GetProperty("type").GetString());
    }

    [Fact]
    public async Task Key_use_is_counted_and_its_last_use_recorded()
    {
        var (keyId, key) = await CreateKeyAsync("read_only");
        using var client = app.CreateHttpClient("gateway");
        for (var i = 0; i < 3; i++) (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", key)).Dispose();

        using var admin = app.KeysAdministrator();
        var since = Stopwatch.StartNew();
        JsonElement shown;
        do
        {
            shown = await admin.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys/{keyId}");
            if (shown.GetProperty("useCount").GetInt64() >= 3) break;
            await Task.Delay(250);
        }
        while (since.Elapsed < TimeSpan.FromSeconds(20));

        Assert.Equal(3, shown.GetProperty("useCount").GetInt64());
        Assert.Equal(JsonValueKind.String, shown.GetProperty("lastUsedAt").ValueKind);
    }

    [Fact]
    public async Task Key_changes_and_refused_addresses_reach_the_audit_trail_with_actor_and_request_id()
    {
        using var admin = app.KeysAdministrator();
        using var created = await admin.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "audited",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "full" } },
            allowedCidrs = new[] { "192.0.2.0/24" },
        });
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var keyId = body.GetProperty("id").GetString()!;
        using var client = app.CreateHttpClient("gateway");
        Assert.Equal(HttpStatusCode.Forbidden, (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", body.GetProperty("key").GetString()!)).StatusCode);

        var createdEntry = await app.AuditEntryAsync($"action=key.created&target={keyId}");
        Assert.StartsWith("operator", createdEntry.GetProperty("actor").GetString());
        Assert.Equal(organization, createdEntry.GetProperty("organizationId").GetString());
        var refused = await app.AuditEntryAsync($"action=key.used-from-disallowed-ip&target={keyId}");
        Assert.Equal(keyId, refused.GetProperty("actor").GetString());
        Assert.Equal("127.0.0.1", refused.GetProperty("ip").GetString());
    }

    [Fact]
    public async Task A_key_appears_in_no_log_line_of_any_resource()
    {
        var (_, key) = await CreateKeyAsync("read_only");
        using var client = app.CreateHttpClient("gateway");
        (await SendAsync(client, HttpMethod.Get, "/v1/datasets/ds_1", key)).Dispose();
        (await SendAsync(client, HttpMethod.Post, "/v1/datasets", key)).Dispose();
        await Task.Delay(TimeSpan.FromSeconds(2));

        var everything = await File.ReadAllTextAsync(app.Log.Path);
        Assert.DoesNotContain(key, everything);
        Assert.DoesNotContain(key[8..], everything);
    }

    private async Task<(string KeyId, string Key)> CreateKeyAsync(string level, string permission = "dataset", string[]? allowedCidrs = null, string environment = "live", DateTimeOffset? expiresAt = null)
    {
        var body = await app.CreateApiKeyAsync(organization, level, permission, environment, allowedCidrs, expiresAt);
        return (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string key)
    {
        using var request = new HttpRequestMessage(method, path);
        request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        return await client.SendAsync(request);
    }

    private static async Task<JsonElement> Problem(HttpResponseMessage response)
    {
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return await response.Content.ReadFromJsonAsync<JsonElement>();
    }
}
