using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>
/// The keys service's management API: its operator on the service's own endpoint, and what a client reaching it through
/// the gateway over HTTPS gets.
/// </summary>
[Collection(Collections.Platform)]
public sealed class KeysThroughGatewayTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task An_administrator_creates_a_key_at_the_keys_service_and_sees_it_exactly_once()
    {
        using var client = app.KeysAdministrator();
        var organization = $"org_{Guid.NewGuid():n}";
        using var created = await client.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "ci deploys",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "read_only" } },
        });

        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var body = await created.Content.ReadFromJsonAsync<JsonElement>();
        var key = body.GetProperty("key").GetString()!;
        Assert.Matches("^sk_live_[0-9A-Za-z]{38}$", key);

        var listed = await client.GetStringAsync($"/v1/organizations/{organization}/keys");
        Assert.DoesNotContain(key, listed);
        Assert.Contains(body.GetProperty("id").GetString()!, listed);
    }

    [Fact]
    public async Task The_gateway_does_not_expose_the_keys_service_internal_api()
    {
        using var client = app.CreateHttpClient("gateway");
        using var verify = await client.PostAsJsonAsync("/internal/v1/keys/verify", new { key = "sk_live_x" });
        Assert.Equal(HttpStatusCode.NotFound, verify.StatusCode);

        // With the gateway's own credential, a static token, the edge does not even look for a route.
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("keys-gateway-token"));
        using var withToken = await client.PostAsJsonAsync("/internal/v1/keys/verify", new { key = "sk_live_x" });
        Assert.Equal(HttpStatusCode.Unauthorized, withToken.StatusCode);
    }

    [Fact]
    public async Task Without_an_administrator_credential_key_management_is_refused()
    {
        using var client = app.CreateHttpClient("gateway");
        using var response = await client.GetAsync("/v1/organizations/org_abc/keys");
        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
