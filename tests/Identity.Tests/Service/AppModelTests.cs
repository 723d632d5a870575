using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.Identity.Tests.Service;

/// <summary>The identity project as the AppHost runs it (its own process, generated data key, issuer behind the gateway).</summary>
public sealed class AppModelTests
{
    [Fact]
    public async Task The_app_model_starts_identity_healthy_and_it_answers_as_the_gateways_upstream()
    {
        await using var app = await TestingApplication.CreateAsync();
        app.KeepOnly("identity");
        await app.StartAsync();
        using var client = app.CreateHttpClient("identity", "http");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        // As the gateway forwards it: TLS ended at the gateway (loopback, a trusted proxy).
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", "localhost:8443");
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var discovery = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://localhost:8443/", discovery.GetProperty("issuer").GetString());
        Assert.Equal("https://localhost:8443/.well-known/jwks", discovery.GetProperty("jwks_uri").GetString());

        // Without the proxy's word the plain-HTTP request is refused by OpenIddict (transport security).
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/.well-known/openid-configuration")).StatusCode);
    }
}
