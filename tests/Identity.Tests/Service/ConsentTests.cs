using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// Scopes and audiences follow the grant (issue 14): a token carries the scopes asked for and consented to, the API
/// audience only with a platform.* scope, and a client acts outside its owning organization only through an
/// explicit grant on the consent page.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class ConsentTests(IdentityFixture fixture)
{
    private static Dictionary<string, string> Scope(string scope) => new() { ["scope"] = scope };

    /// <summary>Organization X's confidential web client (its Owner has just stepped up).</summary>
    private async Task<(string Id, string Secret, string OrgId)> ClientOfAnotherOrganizationAsync()
    {
        var (admin, orgId, flow) = await CodeFlow.CreateAsync(fixture);
        var response = await admin.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/clients",
            new { name = "Helpful dashboard", type = "web", scopes = new[] { "openid", "platform.keys", "platform.organizations" }, redirectUris = new[] { CodeFlow.RedirectUri } });
        var client = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (client.GetProperty("clientId").GetString()!, client.GetProperty("clientSecret").GetString()!, orgId);
    }

    private static bool HasAudience(JsonElement payload) => payload.TryGetProperty("aud", out _);

    [Fact]
    public async Task A_token_for_openid_alone_has_no_API_audience_and_platform_scopes_give_exactly_what_was_asked()
    {
        var (_, orgId, flow) = await CodeFlow.CreateAsync(fixture);
        var openIdOnly = CodeFlow.Payload((await flow.TokensAsync(Scope("openid"))).GetProperty("access_token").GetString()!);
        Assert.Equal("openid", openIdOnly.GetProperty("scope").GetString());
        Assert.False(HasAudience(openIdOnly), $"An openid-only token has an audience: {openIdOnly}");

        var keys = CodeFlow.Payload((await flow.TokensAsync(Scope("openid platform.keys"))).GetProperty("access_token").GetString()!);
        Assert.Equal("openid platform.keys", keys.GetProperty("scope").GetString());
        var audience = keys.GetProperty("aud");
        Assert.Equal("platform-api", audience.ValueKind == JsonValueKind.Array ? audience[0].GetString() : audience.GetString());
        Assert.Equal(orgId, keys.GetProperty("org_id").GetString());

        // The retired scope is no scope at all (OpenIddict answers invalid_scope itself, no code).
        var retired = await flow.Browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = flow.ClientId, ["response_type"] = "code", ["redirect_uri"] = CodeFlow.RedirectUri, ["scope"] = "openid platform",
            ["state"] = "s", ["code_challenge"] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", ["code_challenge_method"] = "S256",
        }));
        var answer = (retired.Headers.Location?.ToString() ?? "") + await retired.Content.ReadAsStringAsync();
        Assert.Contains("invalid_scope", answer, StringComparison.Ordinal);
        Assert.DoesNotContain("code=", answer, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_consent_covers_the_scopes_shown_and_a_wider_request_asks_again()
    {
        var (_, _, flow) = await CodeFlow.CreateAsync(fixture);
        await flow.TokensAsync(Scope("openid platform.keys"));
        // Already consented: no page. Wider: consent_required without a page, the page with one.
        var (same, _) = await flow.AuthorizeAsync(new Dictionary<string, string> { ["scope"] = "openid platform.keys", ["prompt"] = "none" });
        Assert.True(QueryHelpers.ParseQuery(same.Query).ContainsKey("code"), same.ToString());
        var (wider, _) = await flow.AuthorizeAsync(new Dictionary<string, string> { ["scope"] = "openid platform.keys platform.secrets", ["prompt"] = "none" });
        Assert.Equal("consent_required", QueryHelpers.ParseQuery(wider.Query)["error"].ToString());
    }

    [Fact]
    public async Task A_client_of_another_organization_gets_nothing_from_Allow_without_the_explicit_choice_of_the_organization()
    {
        var client = await ClientOfAnotherOrganizationAsync();
        var victim = await TestUser.CreateAsync(fixture);
        var victimOrg = await victim.CreateOrganizationAsync("Victim Inc");
        var flow = new CodeFlow(victim.Http, client.Id, client.Secret, CodeFlow.RedirectUri) { ConfirmsOtherOrganization = false };

        // The page says who owns the client and where it would act, and asks for that choice.
        var first = await victim.Http.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = client.Id, ["response_type"] = "code", ["redirect_uri"] = CodeFlow.RedirectUri, ["scope"] = "openid platform.keys",
            ["state"] = "s", ["code_challenge"] = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", ["code_challenge_method"] = "S256",
        }));
        Assert.Equal("/consent", first.Headers.Location!.ToString().Split('?')[0]);
        var page = await (await victim.Http.GetAsync(first.Headers.Location)).Content.ReadAsStringAsync();
        Assert.Contains("Helpful dashboard", page, StringComparison.Ordinal);
        Assert.Contains($"<code id=\"owner-id\">{client.OrgId}</code>", page, StringComparison.Ordinal);
        Assert.Contains("Victim Inc", page, StringComparison.Ordinal);
        Assert.Contains("id=\"cross-organization\"", page, StringComparison.Ordinal);

        // Allow alone: refused and audited, no code.
        var (refused, _) = await flow.AuthorizeAsync(Scope("openid platform.keys"));
        Assert.Equal("access_denied", QueryHelpers.ParseQuery(refused.Query)["error"].ToString());
        Assert.False(QueryHelpers.ParseQuery(refused.Query).ContainsKey("code"));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.authorization.refused"
            && e.GetProperty("actor").GetString() == victim.Id && e.GetProperty("organizationId").GetString() == victimOrg);

        // With the explicit choice: a token for the victim's organization, and only then.
        var (location, verifier) = await AuthorizeWithChoiceAsync(victim.Http, client.Id, victimOrg);
        var code = QueryHelpers.ParseQuery(location.Query)["code"].ToString();
        var token = await flow.TokenAsync(new Dictionary<string, string> { ["grant_type"] = "authorization_code", ["code"] = code, ["redirect_uri"] = CodeFlow.RedirectUri, ["code_verifier"] = verifier });
        var payload = CodeFlow.Payload((await token.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("access_token").GetString()!);
        Assert.Equal(victimOrg, payload.GetProperty("org_id").GetString());
    }

    [Fact]
    public async Task A_consent_given_for_one_organization_is_no_consent_for_another()
    {
        var (admin, orgId, flow) = await CodeFlow.CreateAsync(fixture);
        await flow.TokensAsync(new Dictionary<string, string> { ["organization"] = orgId });
        var second = await admin.CreateOrganizationAsync("Second");
        var (location, _) = await flow.AuthorizeAsync(new Dictionary<string, string> { ["organization"] = second, ["prompt"] = "none" });
        Assert.Equal("consent_required", QueryHelpers.ParseQuery(location.Query)["error"].ToString());
    }

    /// <summary>The authorize request, then the consent form with Allow and the organization ticked, as the browser sends it.</summary>
    private static async Task<(Uri Location, string Verifier)> AuthorizeWithChoiceAsync(HttpClient browser, string clientId, string orgId)
    {
        var verifier = Platform.Hosting.Testing.BrowserForms.Base64Url(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
        var challenge = Platform.Hosting.Testing.BrowserForms.Base64Url(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(verifier)));
        var authorize = await browser.GetAsync(QueryHelpers.AddQueryString("/connect/authorize", new Dictionary<string, string?>
        {
            ["client_id"] = clientId, ["response_type"] = "code", ["redirect_uri"] = CodeFlow.RedirectUri, ["scope"] = "openid platform.keys",
            ["state"] = "s", ["code_challenge"] = challenge, ["code_challenge_method"] = "S256",
        }));
        var page = await (await browser.GetAsync(authorize.Headers.Location)).Content.ReadAsStringAsync();
        var consent = await browser.PostAsync("/consent", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = CodeFlow.Hidden(page, "__RequestVerificationToken"),
            ["returnUrl"] = CodeFlow.Hidden(page, "returnUrl"),
            ["actIn"] = orgId,
            ["decision"] = "allow",
        }));
        var done = await browser.GetAsync(consent.Headers.Location);
        return (new Uri(new Uri("https://localhost/"), done.Headers.Location!), verifier);
    }
}
