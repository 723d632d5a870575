using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using static Platform.IntegrationTests.Security.EdgeAttackers;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Issue 14, class 5: the static operator credentials (keys administrator, audit reader, storage service, secret
/// consumer) are not bearer tokens of the public edge. Through the gateway each is refused 401 <c>invalid-token</c>
/// before it reaches a service, on every organization, whatever its allowlist, and the refusal is audited.
/// </summary>
[Collection(Collections.Platform)]
public sealed class OperatorTokenAttacks(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    public static TheoryData<string, string, string> Uses => new()
    {
        { "keys-admin-token", "GET", "/v1/organizations/{org}/keys" },
        { "keys-admin-token", "POST", "/v1/organizations/{org}/keys" },
        { "keys-admin-token", "PUT", "/v1/organizations/{org}/network-policy" },
        { "keys-admin-token", "GET", "/v1/organizations/{org}/secrets" },
        { "keys-secrets-consumer-token", "PUT", "/v1/organizations/{org}/secrets/stolen" },
        { "audit-reader-token", "GET", "/v1/audit/events?organization={org}" },
        { "audit-reader-token", "GET", "/v1/audit/dead-letters" },
        { "storage-service-token", "GET", "/v1/organizations/{org}/datasets" },
        { "keys-gateway-token", "POST", "/internal/v1/keys/verify" },
    };

    [Theory]
    [MemberData(nameof(Uses))]
    public async Task An_operator_token_through_the_gateway_is_401_invalid_token_and_changes_nothing(string parameter, string method, string path)
    {
        var organization = $"org_{Guid.NewGuid():n}";
        await app.CreateApiKeyAsync(organization, "full");
        var before = await StateAsync(app, organization);
        using var gateway = app.OperatorThroughGateway(parameter);
        using var request = new HttpRequestMessage(new HttpMethod(method), path.Replace("{org}", organization, StringComparison.Ordinal))
        {
            Content = method == "GET" ? null : JsonContent.Create(new { name = "operator", environment = "live", scopes = new[] { new { permission = "dataset", level = "full" } }, allowedCidrs = Array.Empty<string>(), value = "x", key = "sk_live_x" }),
        };

        using var response = await gateway.SendAsync(request);

        var requestId = await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid-token");
        Assert.Equal("Bearer error=\"invalid_token\"", response.Headers.WwwAuthenticate.ToString());
        await AssertAuditedAsync(app, requestId, 401);
        Assert.Equal(before, await StateAsync(app, organization));
    }

    [Fact]
    public async Task An_operator_token_is_refused_for_an_organization_with_an_allowlist_and_in_every_disguise()
    {
        var organization = $"org_{Guid.NewGuid():n}";
        await SetAllowlistAsync(app, organization, "192.0.2.0/24");
        var before = await StateAsync(app, organization);
        var token = app.GetParameterValue("keys-admin-token");
        using var gateway = app.CreateHttpClient("gateway");

        foreach (var authorization in new[] { "Bearer " + token, "bearer " + token, "Bearer  " + token + " ", "Token " + token })
        {
            using var request = new HttpRequestMessage(HttpMethod.Put, $"/v1/organizations/{organization}/network-policy")
            {
                Content = JsonContent.Create(new { allowedCidrs = Array.Empty<string>() }),
            };
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await gateway.SendAsync(request);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid-token");
        }

        // Dressed as a key or as a JWT, it is verified as one, and refused as one.
        foreach (var (authorization, type) in new[] { ("Bearer sk_live_" + token, "invalid-api-key"), ("Bearer eyJhbGciOiJIUzI1NiJ9." + token + ".c2ln", "invalid-token") })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/keys");
            request.Headers.TryAddWithoutValidation("Authorization", authorization);
            using var response = await gateway.SendAsync(request);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, type);
        }

        // As a key, it is no key.
        using (var asKey = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/keys"))
        {
            asKey.Headers.TryAddWithoutValidation("X-Api-Key", token);
            using var response = await gateway.SendAsync(asKey);
            await AssertProblemAsync(response, HttpStatusCode.Unauthorized, "invalid-api-key");
        }

        // As Basic credentials it reaches no service that acts on it.
        using (var asBasic = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/keys"))
        {
            asBasic.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("operator:" + token)));
            using var response = await gateway.SendAsync(asBasic);
            Assert.True((int)response.StatusCode is 401 or 403, $"Basic: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
        }

        Assert.Equal(before, await StateAsync(app, organization));
    }

    [Fact]
    public async Task The_audit_reader_token_reads_nobodys_trail_through_the_gateway_but_does_on_the_audit_services_own_endpoint()
    {
        var (_, key) = await AttackerAsync(app);
        using var gateway = app.CreateHttpClient("gateway");
        using (var marked = new HttpRequestMessage(HttpMethod.Get, $"/v1/datasets/{Guid.NewGuid():n}"))
        {
            marked.Headers.TryAddWithoutValidation("X-Api-Key", key);
            (await gateway.SendAsync(marked)).Dispose();
        }

        using var reader = app.OperatorThroughGateway("audit-reader-token");
        using var refused = await reader.GetAsync("/v1/audit/events?limit=5");
        await AssertProblemAsync(refused, HttpStatusCode.Unauthorized, "invalid-token");
        Assert.DoesNotContain("\"items\"", await refused.Content.ReadAsStringAsync());

        // The same token on the internal endpoint is the operator's way in.
        await app.AuditEntryAsync("action=http.request&limit=1");
    }
}
