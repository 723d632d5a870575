using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// The organization APIs with an access token (issue 14): only with the platform.organizations scope, only for the
/// organization the token was issued for, and never together with the session cookie.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class OrganizationTokenTests(IdentityFixture fixture)
{
    private HttpClient WithToken(string token)
    {
        var client = fixture.Client();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<string> TokenAsync(CodeFlow flow, string scope, string? organization = null)
    {
        var extra = new Dictionary<string, string> { ["scope"] = scope };
        if (organization is not null) extra["organization"] = organization;
        return (await flow.TokensAsync(extra)).GetProperty("access_token").GetString()!;
    }

    [Fact]
    public async Task A_token_with_platform_organizations_works_for_its_organization_including_step_up_actions()
    {
        var (_, orgId, flow) = await CodeFlow.CreateAsync(fixture);
        using var api = WithToken(await TokenAsync(flow, "openid platform.organizations"));
        var members = await api.GetFromJsonAsync<JsonElement>($"/v1/organizations/{orgId}/members");
        Assert.Single(members.GetProperty("items").EnumerateArray());
        // The token carries the session's recent second factor (amr, auth_time): a step-up action passes.
        var created = await api.PostAsJsonAsync($"/v1/organizations/{orgId}/clients", new { name = "ci", type = "machine", scopes = new[] { "platform.keys" } });
        Assert.Equal(HttpStatusCode.Created, created.StatusCode);
    }

    [Fact]
    public async Task A_token_without_the_scope_is_refused_with_insufficient_scope_and_audited()
    {
        var (admin, orgId, flow) = await CodeFlow.CreateAsync(fixture);
        using var api = WithToken(await TokenAsync(flow, "openid platform.keys"));
        var response = await api.GetAsync($"/v1/organizations/{orgId}/members");
        var problem = await response.ProblemAsync();
        Assert.Equal((HttpStatusCode.Forbidden, "https://platform.dev/problems/insufficient-scope"), (problem.Status, problem.Type));
        Assert.Contains("insufficient_scope", response.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.api.refused"
            && e.GetProperty("actor").GetString() == admin.Id && e.GetProperty("organizationId").GetString() == orgId);
    }

    [Fact]
    public async Task A_token_acts_only_in_the_organization_it_was_issued_for()
    {
        var (admin, orgId, flow) = await CodeFlow.CreateAsync(fixture);
        var other = await admin.CreateOrganizationAsync("Other");
        using var api = WithToken(await TokenAsync(flow, "openid platform.organizations", orgId));
        Assert.Equal(HttpStatusCode.Forbidden, (await api.GetAsync($"/v1/organizations/{other}/members")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await api.GetAsync($"/v1/organizations/{orgId}/members")).StatusCode);
    }

    [Fact]
    public async Task Tokens_without_the_API_audience_or_not_tokens_at_all_are_invalid_and_a_cookie_with_a_token_is_refused()
    {
        var (admin, orgId, flow) = await CodeFlow.CreateAsync(fixture);
        using var openIdOnly = WithToken(await TokenAsync(flow, "openid"));
        Assert.Equal("https://platform.dev/problems/invalid-token", (await (await openIdOnly.GetAsync($"/v1/organizations/{orgId}/members")).ProblemAsync()).Type);
        using var garbage = WithToken("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c3JfMSJ9.");
        Assert.Equal(HttpStatusCode.Unauthorized, (await garbage.GetAsync($"/v1/organizations/{orgId}/members")).StatusCode);

        using var both = new HttpRequestMessage(HttpMethod.Get, $"/v1/organizations/{orgId}/members");
        both.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await TokenAsync(flow, "openid platform.organizations"));
        var problem = await (await admin.Http.SendAsync(both)).ProblemAsync();
        Assert.Equal((HttpStatusCode.BadRequest, "https://platform.dev/problems/multiple-credentials"), (problem.Status, problem.Type));
    }
}
