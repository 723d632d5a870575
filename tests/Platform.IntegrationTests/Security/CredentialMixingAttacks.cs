using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using static Platform.IntegrationTests.Security.EdgeAttackers;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Issue 14, class 1: one principal per request. An attacker with an organization of their own adds a second credential
/// to get someone else's organization decided by their own (allowlist, limits, audit) while the other credential acts.
/// Every such request is refused 400 <c>multiple-credentials</c> at the gateway, before anything is verified; it changes
/// nothing and is audited with the client's address.
/// </summary>
[Collection(Collections.Platform)]
public sealed class CredentialMixingAttacks(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task An_own_key_beside_the_victims_token_neither_lists_nor_creates_keys_nor_removes_the_victims_allowlist()
    {
        var (_, attackerKey) = await AttackerAsync(app);
        var (_, victim, token) = await VictimAsync(fixture);
        // The victim allows only an office range the attacker is not in: the token alone is refused from here.
        await SetAllowlistAsync(app, victim, "192.0.2.0/24");
        var before = await StateAsync(app, victim);
        using var gateway = app.CreateHttpClient("gateway");

        using (var alone = await SendAsync(gateway, HttpMethod.Get, $"/v1/organizations/{victim}/keys", token: token))
        {
            await AssertProblemAsync(alone, HttpStatusCode.Forbidden, "ip-not-allowed");
        }

        var attempts = new (HttpMethod Method, string Path, object? Body)[]
        {
            (HttpMethod.Get, $"/v1/organizations/{victim}/keys", null),
            (HttpMethod.Post, $"/v1/organizations/{victim}/keys", new { name = "backdoor", environment = "live", scopes = new[] { new { permission = "dataset", level = "full" } } }),
            (HttpMethod.Put, $"/v1/organizations/{victim}/network-policy", new { allowedCidrs = Array.Empty<string>() }),
            (HttpMethod.Get, $"/v1/organizations/{victim}/secrets", null),
        };
        foreach (var (method, path, body) in attempts)
        {
            using var mixed = await SendAsync(gateway, method, path, key: attackerKey, token: token, body: body);
            var requestId = await AssertProblemAsync(mixed, HttpStatusCode.BadRequest, "multiple-credentials");
            await AssertAuditedAsync(app, requestId, 400);
        }

        Assert.Equal(before, await StateAsync(app, victim));
    }

    public static TheoryData<string> Mixtures => ["key+token", "two-keys", "key-twice", "cookie+token", "cookie+key", "key+basic", "token+basic"];

    [Theory]
    [MemberData(nameof(Mixtures))]
    public async Task Two_credentials_in_any_combination_are_refused_before_either_is_used(string mixture)
    {
        var (_, attackerKey) = await AttackerAsync(app);
        var (owner, victim, token) = await VictimAsync(fixture);
        var victimKey = (await app.CreateApiKeyAsync(victim, "full")).GetProperty("key").GetString()!;
        var before = await StateAsync(app, victim);
        // The victim's browser, with its session cookie, is the one sending when a cookie is part of the mixture.
        var client = mixture.StartsWith("cookie", StringComparison.Ordinal) ? owner.Browser : app.CreateHttpClient("gateway");
        using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/organizations/{victim}/network-policy")
        {
            Content = JsonContent.Create(new { allowedCidrs = new[] { "198.51.100.0/24" } }),
        };
        var headers = request.Headers;
        switch (mixture)
        {
            case "key+token":
                headers.TryAddWithoutValidation("X-Api-Key", attackerKey);
                headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
            case "two-keys":
                headers.TryAddWithoutValidation("X-Api-Key", attackerKey);
                headers.Authorization = new AuthenticationHeaderValue("Bearer", victimKey);
                break;
            case "key-twice":
                headers.TryAddWithoutValidation("X-Api-Key", [attackerKey, victimKey]);
                break;
            case "cookie+token":
                headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
                break;
            case "cookie+key":
                headers.TryAddWithoutValidation("X-Api-Key", attackerKey);
                break;
            case "key+basic":
                headers.TryAddWithoutValidation("X-Api-Key", attackerKey);
                headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String("client:secret"u8.ToArray()));
                break;
            default:
                headers.TryAddWithoutValidation("Authorization", ["Bearer " + token, "Basic " + Convert.ToBase64String("client:secret"u8.ToArray())]);
                break;
        }

        using var response = await client.SendAsync(request);

        var requestId = await AssertProblemAsync(response, HttpStatusCode.BadRequest, "multiple-credentials");
        await AssertAuditedAsync(app, requestId, 400);
        Assert.Equal(before, await StateAsync(app, victim));
    }

    [Fact]
    public async Task An_own_key_beside_an_operator_token_reaches_no_other_organizations_keys_datasets_or_audit()
    {
        var (_, attackerKey) = await AttackerAsync(app);
        var victim = $"org_{Guid.NewGuid():n}";
        var victimKeyId = (await app.CreateApiKeyAsync(victim, "full")).GetProperty("id").GetString()!;
        var before = await StateAsync(app, victim);
        using var gateway = app.CreateHttpClient("gateway");

        var attempts = new (string Path, string Operator)[]
        {
            ($"/v1/organizations/{victim}/keys", "keys-admin-token"),
            ($"/v1/organizations/{victim}/datasets", "storage-service-token"),
            ($"/v1/audit/events?organization={victim}", "audit-reader-token"),
        };
        foreach (var (path, parameter) in attempts)
        {
            using var mixed = await SendAsync(gateway, HttpMethod.Get, path, key: attackerKey, token: app.GetParameterValue(parameter));
            var body = await mixed.Content.ReadAsStringAsync();
            Assert.DoesNotContain(victimKeyId, body);
            await AssertProblemAsync(mixed, HttpStatusCode.BadRequest, "multiple-credentials");
        }

        // The attacker's key alone reaches nothing of the victim's either.
        foreach (var path in new[] { $"/v1/organizations/{victim}/keys", $"/v1/organizations/{victim}/network-policy", $"/v1/organizations/{victim}/datasets", $"/v1/audit/events?organization={victim}" })
        {
            using var alone = await SendAsync(gateway, HttpMethod.Get, path, key: attackerKey);
            Assert.True((int)alone.StatusCode is >= 400 and < 500, $"{path}: {(int)alone.StatusCode} {await alone.Content.ReadAsStringAsync()}");
            Assert.DoesNotContain(victimKeyId, await alone.Content.ReadAsStringAsync());
        }

        Assert.Equal(before, await StateAsync(app, victim));
    }

    private static async Task<HttpResponseMessage> SendAsync(HttpClient client, HttpMethod method, string path, string? key = null, string? token = null, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
        if (key is not null) request.Headers.TryAddWithoutValidation("X-Api-Key", key);
        if (token is not null) request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        var response = await client.SendAsync(request);
        await response.Content.LoadIntoBufferAsync();
        return response;
    }
}
