using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Security.Gateway;

namespace Platform.IntegrationTests;

/// <summary>
/// The gateway signs the principal it passes upstream (<c>X-Platform-*</c>); the storage service checks it, so a
/// request that reaches storage past the gateway cannot pose as an organization's key.
/// </summary>
[Collection(Collections.Platform)]
public sealed class UpstreamSigningTests(PlatformFixture fixture)
{
    private readonly string organization = $"org_{Guid.NewGuid():n}";

    [Fact]
    public async Task What_the_gateway_passes_upstream_carries_a_signature_the_upstream_can_check_with_the_shared_key()
    {
        using var client = fixture.App.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", await CreateKeyAsync());
        // A client's own signature header is dropped like every X-Platform-* header it sends.
        client.DefaultRequestHeaders.TryAddWithoutValidation(GatewaySignature.Header, "t=1,v1=forged");

        using var response = await client.GetAsync("/v1/datasets/ds_1?view=full");
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var echoed = await response.Content.ReadFromJsonAsync<JsonElement>();
        var headers = echoed.GetProperty("headers").EnumerateObject().ToDictionary(h => h.Name, h => h.Value.GetString()!);

        var key = Convert.FromBase64String(fixture.App.GetParameterValue("gateway-signing-key"));
        Assert.Equal(organization, headers["x-platform-organization"]);
        Assert.True(GatewaySignature.Verify(key, headers["x-platform-signature"], TimeProvider.System.GetUtcNow(), TimeSpan.FromSeconds(60),
            "GET", "/v1/datasets/ds_1?view=full", headers), $"signature {headers["x-platform-signature"]} does not verify");
        Assert.False(GatewaySignature.Verify(key, headers["x-platform-signature"], TimeProvider.System.GetUtcNow(), TimeSpan.FromSeconds(60),
            "GET", "/v1/datasets/ds_2?view=full", headers));
    }

    [Fact]
    public async Task Storage_reached_past_the_gateway_refuses_principal_headers_it_did_not_sign()
    {
        using var direct = new HttpClient { BaseAddress = fixture.App.GetEndpoint("storage-us", "http", 0) };
        using var forged = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{organization}/datasets");
        forged.Headers.Add("X-Platform-Organization", organization);
        forged.Headers.Add("X-Platform-Key-Id", "key_0123456789abcdef0123456789abcdef");
        forged.Headers.Add("X-Platform-Scopes", "dataset:full");

        using var refused = await direct.SendAsync(forged);

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Contains("signature", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private async Task<string> CreateKeyAsync() =>
        (await fixture.App.CreateApiKeyAsync(organization, "read_only")).GetProperty("key").GetString()!;
}
