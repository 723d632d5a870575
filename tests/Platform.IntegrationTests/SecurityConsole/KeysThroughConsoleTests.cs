using System.Net;
using System.Net.Http.Headers;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// The console as a browser without JavaScript uses it: the OpenID Connect round trip to identity, the step-up identity
/// asks for, a key created on the keys page, used against the product's dataset route and revoked there.
/// </summary>
[Collection(Collections.Console)]
public sealed class KeysThroughConsoleTests(PlatformFixture fixture)
{
    [Fact]
    public async Task An_Owner_creates_a_key_in_the_console_uses_it_through_the_gateway_revokes_it_and_sees_it_refused()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture);
        var org = owner.OrganizationId!;

        var overview = await owner.GetAsync("/");
        Assert.Equal(200, overview.Status);
        Assert.Equal($"/console/o/{org}", overview.Address.AbsolutePath);
        Assert.Equal(org, overview.Text("org"));
        Assert.Contains("no-store", overview.CacheControl);
        Assert.Contains("script-src 'self'", overview.Csp);
        Assert.DoesNotContain("unsafe-inline", overview.Csp);
        Assert.Equal("1", overview.Text("members-count"));

        // Keys need a second factor within 15 minutes: the console sends the browser to identity's step-up page.
        var keysPath = $"/console/o/{org}/keys";
        var stepUp = await owner.GetAsync(keysPath);
        Assert.Equal("/mfa", stepUp.Address.AbsolutePath);
        await owner.EnrolTotpAndStepUpAsync();
        var keys = await owner.GetAsync($"/console/reauth?returnUrl={Uri.EscapeDataString(keysPath)}");
        Assert.Equal(200, keys.Status);
        Assert.Equal(keysPath, keys.Address.AbsolutePath);

        // Invalid input: the message is next to the field and what was typed stays.
        var invalid = await owner.PostAsync(keysPath, keys, [new("name", "pipeline"), new("environment", "live"), new("scope-dataset", "none")]);
        Assert.Equal(400, invalid.Status);
        Assert.Contains("id=\"scopes-error\"", invalid.Html);
        Assert.Equal("pipeline", invalid.Value("name"));

        var created = await owner.PostAsync(keysPath, keys, [new("name", "pipeline"), new("environment", "live"), new("scope-dataset", "full")]);
        Assert.Equal(201, created.Status);
        Assert.Contains("no-store", created.CacheControl);
        var key = created.Value("new-key")!;
        var keyId = created.Text("new-key-id")!;
        Assert.StartsWith("sk_live_", key);
        Assert.DoesNotContain(key, created.Address.ToString());

        using var product = new HttpClient(fixture.App.CreateHandler("gateway")) { BaseAddress = fixture.Gateway };
        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{org}/datasets"))
        {
            request.Headers.Add("X-Api-Key", key);
            using var answer = await product.SendAsync(request);
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
        }

        // The list shows the key with its prefix (never the key), then revoke it from its row.
        var listed = await owner.GetAsync(keysPath);
        Assert.Contains($"data-id=\"{keyId}\" data-status=\"active\"", listed.Html);
        Assert.DoesNotContain(key, listed.Html);
        var revoked = await owner.PostAsync($"{keysPath}/{keyId}/revoke", listed, []);
        Assert.Equal(200, revoked.Status);
        Assert.Equal("revoked", new Uri(revoked.Address.ToString()).Query.Split('=').Last());
        Assert.Contains($"data-id=\"{keyId}\" data-status=\"revoked\"", revoked.Html);

        using (var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{org}/datasets"))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key);
            using var answer = await product.SendAsync(request);
            Assert.Equal(HttpStatusCode.Unauthorized, answer.StatusCode);
        }
    }
}
