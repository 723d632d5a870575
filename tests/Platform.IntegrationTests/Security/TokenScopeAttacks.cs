using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Issue 14, class 2: token scope means nothing. An attacker with an organization of their own and an OAuth client
/// wants another organization's API access: through a token that asked for little, or a victim's click on Allow.
/// Through the gateway over HTTPS, fresh users and organizations each time.
/// </summary>
[Collection(Collections.Platform)]
public sealed class TokenScopeAttacks(PlatformFixture fixture)
{
    private async Task<(IdentityUser User, string Organization)> OwnerWithMfaAsync()
    {
        var (user, organization) = await IdentityUser.OwnerAsync(fixture, ClientAddresses.Handler(fixture, ClientAddresses.Fresh()));
        await user.EnrolTotpAsync();
        await user.StepUpAsync();
        return (user, organization);
    }

    private HttpClient WithToken(string token)
    {
        var client = fixture.App.CreateHttpClient("gateway");
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static object NewKey(string name) => new { name, environment = "live", scopes = new[] { new { permission = "dataset", level = "full" } } };

    [Fact]
    public async Task A_token_for_openid_alone_reaches_no_API_even_for_an_owner_with_a_fresh_second_factor()
    {
        var (owner, organization) = await OwnerWithMfaAsync();
        var client = await owner.CreateClientAsync(organization);
        var token = await owner.AccessTokenAsync(client, "openid");
        var claims = IdentityUser.Claims(token);
        Assert.Equal("openid", claims.GetProperty("scope").GetString());
        Assert.False(claims.TryGetProperty("aud", out var audience), $"An openid-only token names an audience: {audience}");

        using var api = WithToken(token);
        var attempts = new List<(string What, HttpStatusCode Status)>();
        using (var create = await api.PostAsJsonAsync($"/v1/organizations/{organization}/keys", NewKey("openid only"))) attempts.Add(("create key", create.StatusCode));
        using (var list = await api.GetAsync($"/v1/organizations/{organization}/keys")) attempts.Add(("list keys", list.StatusCode));
        using (var policy = await api.PutAsJsonAsync($"/v1/organizations/{organization}/network-policy", new { allowedCidrs = Array.Empty<string>() })) attempts.Add(("network policy", policy.StatusCode));
        using (var members = await api.GetAsync($"/v1/organizations/{organization}/members")) attempts.Add(("members", members.StatusCode));
        using (var product = await api.GetAsync("/v1/projects/p_1")) attempts.Add(("product API", product.StatusCode));
        Assert.All(attempts, attempt => Assert.True(attempt.Status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden, $"{attempt.What}: {(int)attempt.Status}"));

        // Nothing was created: the owner's full token lists no key.
        using var full = WithToken(await owner.AccessTokenAsync(client));
        var keys = await full.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/keys");
        Assert.Empty(keys.GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_client_of_the_attackers_organization_gets_nothing_for_the_victims_organization_from_a_plain_Allow()
    {
        var (attacker, attackerOrganization) = await OwnerWithMfaAsync();
        var bait = await attacker.CreateClientAsync(attackerOrganization, "Helpful dashboard");
        var (victim, victimOrganization) = await OwnerWithMfaAsync();

        // The victim, signed in with MFA, clicks Allow on the attacker's client without choosing their organization for it.
        var (location, _) = await victim.AuthorizeAsync(bait, IdentityUser.AllScopes, confirmOtherOrganization: false);
        Assert.StartsWith(IdentityUser.RedirectUri, location.ToString(), StringComparison.Ordinal);
        var answer = QueryHelpers.ParseQuery(location.Query);
        Assert.False(answer.ContainsKey("code"), $"The attacker's client got a code for the victim's organization: {location}");
        Assert.Equal("access_denied", answer["error"].ToString());

        // The page said whose client it is and where it would act.
        var page = victim.LastConsentPage ?? "";
        Assert.Contains($"<code id=\"owner-id\">{attackerOrganization}</code>", page, StringComparison.Ordinal);
        Assert.Contains(victimOrganization, page, StringComparison.Ordinal);
        Assert.Contains("id=\"cross-organization\"", page, StringComparison.Ordinal);

        // Asking again silently (prompt=none) gets no code either: no grant was recorded.
        var (silent, _) = await victim.AuthorizeAsync(bait, IdentityUser.AllScopes, confirmOtherOrganization: false, new Dictionary<string, string> { ["prompt"] = "none" });
        Assert.False(QueryHelpers.ParseQuery(silent.Query).ContainsKey("code"), silent.ToString());
    }

    [Fact]
    public async Task A_consent_given_for_the_attackers_organization_is_not_reused_for_the_victims_own()
    {
        // The victim is also a member of the attacker's organization (invited) and rightly allowed the attacker's
        // client there; the attacker then sends a silent authorization request for the victim's own organization.
        var (attacker, attackerOrganization) = await OwnerWithMfaAsync();
        var app = await attacker.CreateClientAsync(attackerOrganization, "Team tool");
        var (victim, victimOrganization) = await OwnerWithMfaAsync();
        using (var invite = await attacker.Browser.PostAsJsonAsync($"/v1/organizations/{attackerOrganization}/invitations", new { email = victim.Email, role = "Developer" }))
        {
            Assert.Equal(HttpStatusCode.Created, invite.StatusCode);
        }

        var invitation = Platform.Hosting.Testing.BrowserForms.CodeIn(await fixture.MailToAsync(victim.Email, "invited"));
        using (var accept = await victim.Browser.PostAsJsonAsync("/v1/invitations/accept", new { token = invitation }))
        {
            Assert.Equal(HttpStatusCode.OK, accept.StatusCode);
        }

        var legitimate = await victim.AccessTokenAsync(app, IdentityUser.AllScopes, new Dictionary<string, string> { ["organization"] = attackerOrganization });
        Assert.Equal(attackerOrganization, IdentityUser.Claims(legitimate).GetProperty("org_id").GetString());

        var (silent, _) = await victim.AuthorizeAsync(app, IdentityUser.AllScopes, confirmOtherOrganization: false,
            new Dictionary<string, string> { ["organization"] = victimOrganization, ["prompt"] = "none" });
        var answer = QueryHelpers.ParseQuery(silent.Query);
        Assert.False(answer.ContainsKey("code"), $"The attacker's client got a code for the victim's organization: {silent}");
        Assert.Equal("consent_required", answer["error"].ToString());

        // And the token from the legitimate consent does not reach the victim's organization at identity either.
        using var api = WithToken(legitimate);
        using var members = await api.GetAsync($"/v1/organizations/{victimOrganization}/members");
        Assert.Equal(HttpStatusCode.Forbidden, members.StatusCode);
    }

    [Fact]
    public async Task A_token_carries_only_the_scopes_consented_and_wider_ones_need_a_new_consent()
    {
        var (owner, organization) = await OwnerWithMfaAsync();
        var client = await owner.CreateClientAsync(organization);
        var token = await owner.AccessTokenAsync(client, "openid platform.keys");
        Assert.Equal("openid platform.keys", IdentityUser.Claims(token).GetProperty("scope").GetString());

        var (wider, _) = await owner.AuthorizeAsync(client, "openid platform.keys platform.secrets platform.organizations", extra: new Dictionary<string, string> { ["prompt"] = "none" });
        var answer = QueryHelpers.ParseQuery(wider.Query);
        Assert.False(answer.ContainsKey("code"), wider.ToString());
        Assert.Equal("consent_required", answer["error"].ToString());
    }

    [Fact]
    public async Task The_retired_all_powerful_platform_scope_is_refused()
    {
        var (owner, organization) = await OwnerWithMfaAsync();
        var client = await owner.CreateClientAsync(organization);
        using var response = await owner.Browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = client.Id, ["response_type"] = "code", ["redirect_uri"] = IdentityUser.RedirectUri, ["scope"] = "openid platform",
            ["state"] = "s1", ["code_challenge"] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", ["code_challenge_method"] = "S256",
        }));
        var answer = (response.Headers.Location?.ToString() ?? "") + await response.Content.ReadAsStringAsync();
        Assert.Contains("invalid_scope", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("code=", answer, StringComparison.Ordinal);

        using var machine = await owner.Browser.PostAsJsonAsync($"/v1/organizations/{organization}/clients", new { name = "ci", type = "machine", scopes = new[] { "platform" } });
        Assert.Equal(HttpStatusCode.BadRequest, machine.StatusCode);
    }
}
