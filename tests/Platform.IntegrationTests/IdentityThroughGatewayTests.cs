using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>
/// SPEC ID-OIDC, ID-MFA, ID-ORG, GW-AUTH and GW-IP with tokens the identity service itself issues: a person signs up
/// through the gateway, gets an access token by code + PKCE, and manages their organization's keys and network policy
/// with it. The gateway checks role and step-up from the route; the keys service checks the token again.
/// </summary>
[Collection(Collections.Platform)]
public sealed class IdentityThroughGatewayTests(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    [Fact]
    public async Task An_owner_with_a_recent_mfa_creates_a_key_with_an_identity_token_and_the_key_works()
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture);
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        var token = await owner.AccessTokenAsync(await owner.CreateClientAsync(organization));

        var claims = IdentityUser.Claims(token);
        Assert.Equal(organization, claims.GetProperty("org_id").GetString());
        Assert.Contains("mfa", claims.GetProperty("amr").EnumerateArray().Select(e => e.GetString()));

        using var console = WithToken(token);
        using var created = await console.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "from the console",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "read_only" } },
        });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(claims.GetProperty("sub").GetString(), key.GetProperty("createdBy").GetString());

        using var product = fixture.App.CreateHttpClient("gateway");
        product.DefaultRequestHeaders.TryAddWithoutValidation("X-Api-Key", key.GetProperty("key").GetString());
        using var used = await product.GetAsync("/v1/datasets/ds_1");
        Assert.Equal(HttpStatusCode.OK, used.StatusCode);
        var upstream = (await used.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("headers");
        Assert.Equal(organization, upstream.GetProperty("x-platform-organization").GetString());

        // Another organization's keys stay out of reach of this owner, at the service as at the gateway.
        using var foreign = await console.GetAsync($"/v1/organizations/org_{Guid.NewGuid():n}/keys");
        Assert.Equal(HttpStatusCode.Forbidden, foreign.StatusCode);
    }

    [Fact]
    public async Task Without_a_second_factor_the_owner_is_asked_for_a_step_up_and_nothing_is_created()
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture);
        var (mfaOwner, mfaOrganization) = await IdentityUser.OwnerAsync(fixture);
        await mfaOwner.EnrolTotpAsync();
        await mfaOwner.StepUpAsync();
        // Any organization's client serves any user; the token names the user's own organization and methods.
        var token = await owner.AccessTokenAsync(await mfaOwner.CreateClientAsync(mfaOrganization));
        Assert.Equal(organization, IdentityUser.Claims(token).GetProperty("org_id").GetString());

        using var console = WithToken(token);
        using var refused = await console.PostAsJsonAsync($"/v1/organizations/{organization}/keys", new
        {
            name = "no step-up",
            environment = "live",
            scopes = new[] { new { permission = "dataset", level = "read_only" } },
        });

        Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        Assert.Equal(Problems + "step-up-required", (await refused.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("type").GetString());
        Assert.Contains("insufficient_user_authentication", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        using var admin = fixture.App.KeysAdministrator();
        var keys = await admin.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys");
        Assert.Empty(keys.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task An_organization_allowlist_set_by_its_owner_applies_to_the_owners_own_token_within_seconds()
    {
        var (owner, organization) = await IdentityUser.OwnerAsync(fixture);
        await owner.EnrolTotpAsync();
        await owner.StepUpAsync();
        var token = await owner.AccessTokenAsync(await owner.CreateClientAsync(organization));
        using var client = WithToken(token, replica: 1);

        using (var before = await client.GetAsync("/v1/projects/p_1"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
            var headers = (await before.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("headers");
            Assert.Equal(organization, headers.GetProperty("x-platform-organization").GetString());
            Assert.Contains("Owner", headers.GetProperty("x-platform-roles").GetString()!.Split(' '));
        }

        using (var set = await client.PutAsJsonAsync($"/v1/organizations/{organization}/network-policy", new { allowedCidrs = new[] { "192.0.2.0/24" } }))
        {
            Assert.Equal(HttpStatusCode.OK, set.StatusCode);
        }

        var deadline = Stopwatch.StartNew();
        while (true)
        {
            using var response = await client.GetAsync("/v1/projects/p_1");
            if (response.StatusCode == HttpStatusCode.Forbidden) break;
            Assert.True(deadline.Elapsed < TimeSpan.FromSeconds(5), "the allowlist did not reach the token's requests within 5 s");
            await Task.Delay(50);
        }
    }

    private HttpClient WithToken(string token, int replica = 0)
    {
        var client = fixture.App.CreateHttpClient("gateway", replica: replica);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }
}
