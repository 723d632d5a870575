using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Keys.Tests.Infrastructure;
using static Platform.Keys.Tests.Infrastructure.KeysClient;

namespace Platform.Keys.Tests.Service;

/// <summary>
/// One principal per request (contract items 1 to 3): a request with two credentials is refused before anything is
/// decided, a user token needs the scope of the API it calls, and operator credentials work only on direct calls from
/// their networks, each use audited as <c>operator:&lt;name&gt;</c>.
/// </summary>
[Collection(KeysServiceCollection.Name)]
public sealed class OnePrincipalTests(KeysServiceFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    [Fact]
    public async Task A_gateway_key_principal_beside_another_organizations_token_is_refused_before_anything_is_decided()
    {
        var victim = NewOrganization();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{victim}/keys") { Content = JsonContent.Create(Body()) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", AccessTokens.Create(fixture.Clock, victim, ["Owner"], mfa: true, TimeSpan.FromMinutes(1)));
        request.Headers.Add("X-Platform-Key-Id", "key_0123456789abcdef0123456789abcdef");
        request.Headers.Add("X-Platform-Organization", NewOrganization());
        using var client = fixture.Client(token: null);

        await AssertProblemAsync(await client.SendAsync(request), HttpStatusCode.BadRequest, "multiple-credentials");
        using var twice = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{victim}/keys");
        twice.Headers.TryAddWithoutValidation("Authorization", ["Bearer " + KeysServiceFixture.RootToken, "Bearer " + KeysServiceFixture.TenantToken]);
        await AssertProblemAsync(await client.SendAsync(twice), HttpStatusCode.BadRequest, "multiple-credentials");
        await AssertNoKeysAsync(victim);
    }

    [Fact]
    public async Task A_token_without_the_apis_scope_reaches_nothing_and_the_refusal_is_audited()
    {
        var organization = NewOrganization();
        var subject = "usr_" + Guid.NewGuid().ToString("N");
        using var openIdOnly = fixture.Client(AccessTokens.Create(fixture.Clock, organization, ["Owner"], mfa: true, TimeSpan.FromMinutes(1), subject: subject, scope: "openid"));
        using var secretsOnly = fixture.UserClient(organization, ["Owner"], scope: "platform.secrets");
        using var keysOnly = fixture.UserClient(organization, ["Owner"], scope: "platform.keys");

        using var refused = await openIdOnly.PostAsJsonAsync($"/v1/organizations/{organization}/keys", Body());
        await AssertProblemAsync(refused, HttpStatusCode.Forbidden, "insufficient-scope");
        Assert.Contains("scope=\"platform.keys\"", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        await AssertProblemAsync(await secretsOnly.PutAsync($"/v1/organizations/{organization}/network-policy", Json(new { allowedCidrs = Array.Empty<string>() })),
            HttpStatusCode.Forbidden, "insufficient-scope");
        await AssertProblemAsync(await keysOnly.GetAsync($"/v1/organizations/{organization}/secrets"), HttpStatusCode.Forbidden, "insufficient-scope");
        await keysOnly.CreateKeyAsync(organization);

        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("actor").GetString() == subject
            && e.GetProperty("action").GetString() == "request.refused" && e.GetProperty("organizationId").GetString() == organization);
    }

    [Fact]
    public async Task An_administrator_token_that_came_through_the_gateway_is_refused_and_audited()
    {
        var organization = NewOrganization();
        using var client = fixture.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{organization}/keys") { Content = JsonContent.Create(Body()) };
        request.Headers.Add("X-Platform-Client-Address", "198.51.100.23");

        await AssertProblemAsync(await client.SendAsync(request), HttpStatusCode.Unauthorized, "unauthenticated");
        await AssertNoKeysAsync(organization);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("actor").GetString() == "operator:root"
            && e.GetProperty("action").GetString() == "operator.credential-refused" && e.GetProperty("organizationId").GetString() == organization);
    }

    [Fact]
    public async Task An_administrator_is_accepted_only_from_its_networks_and_every_use_is_an_operator_action()
    {
        var organization = NewOrganization();
        using var client = fixture.Client();
        using var outside = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{organization}/keys") { Content = JsonContent.Create(Body()) };
        outside.Headers.Add(KeysServiceFixture.PeerHeader, "203.0.113.5");
        await AssertProblemAsync(await client.SendAsync(outside), HttpStatusCode.Forbidden, "ip-not-allowed");
        await AssertNoKeysAsync(organization);

        using var inside = new HttpRequestMessage(HttpMethod.Post, $"/v1/organizations/{organization}/keys") { Content = JsonContent.Create(Body()) };
        inside.Headers.Add(KeysServiceFixture.PeerHeader, "127.0.0.1");
        using var created = await client.SendAsync(inside);
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
        var key = await created.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("operator:root", key.GetProperty("createdBy").GetString());

        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("actor").GetString() == "operator:root"
            && e.GetProperty("action").GetString() == "operator.request" && e.GetProperty("organizationId").GetString() == organization
            && e.GetProperty("outcome").GetString() == "succeeded");
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("actor").GetString() == "operator:root"
            && e.GetProperty("action").GetString() == "operator.credential-refused" && e.GetProperty("ip").GetString() == "203.0.113.5");
    }

    private static async Task AssertProblemAsync(HttpResponseMessage response, HttpStatusCode status, string type)
    {
        Assert.Equal(status, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(Problems + type, problem.GetProperty("type").GetString());
    }

    private async Task AssertNoKeysAsync(string organization)
    {
        using var root = fixture.Client();
        var listed = await root.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys");
        Assert.Empty(listed.GetProperty("items").EnumerateArray());
    }
}
