using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.WebUtilities;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>A user in several organizations chooses the one their tokens are for; refreshes follow the membership.</summary>
[Collection(IdentityCollection.Name)]
public sealed class OrganizationChoiceTests(IdentityFixture fixture)
{
    private static string[] Roles(JsonElement claims) => claims.GetProperty("roles").EnumerateArray().Select(r => r.GetString()!).ToArray();

    private async Task<(TestUser Owner, string OrgId)> OtherOrganizationWithMemberAsync(TestUser member, string role)
    {
        var owner = await TestUser.CreateAsync(fixture);
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync("Other");
        Assert.Equal(HttpStatusCode.Created, (await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = member.Email, role })).StatusCode);
        var code = IdentityFixture.CodeIn(await fixture.MailToAsync(member.Email, "invited"));
        Assert.Equal(HttpStatusCode.OK, (await member.Http.PostAsJsonAsync("/v1/invitations/accept", new { token = code })).StatusCode);
        return (owner, orgId);
    }

    [Fact]
    public async Task The_organization_parameter_picks_the_membership_and_refreshes_reread_it()
    {
        var (user, ownOrg, flow) = await CodeFlow.CreateAsync(fixture);
        var (owner, otherOrg) = await OtherOrganizationWithMemberAsync(user, "Viewer");

        var tokens = await flow.TokensAsync(new Dictionary<string, string> { ["organization"] = otherOrg });
        var claims = CodeFlow.Payload(tokens.GetProperty("access_token").GetString()!);
        Assert.Equal(otherOrg, claims.GetProperty("org_id").GetString());
        Assert.Equal(["Viewer"], Roles(claims));

        // Kept on refresh, with the role the membership has now.
        var refreshed = await flow.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal(HttpStatusCode.OK, refreshed.StatusCode);
        tokens = await refreshed.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(otherOrg, CodeFlow.Payload(tokens.GetProperty("access_token").GetString()!).GetProperty("org_id").GetString());
        await owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{otherOrg}/members/{user.Id}/role", new { role = "Developer" })).StatusCode);
        refreshed = await flow.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        tokens = await refreshed.Content.ReadFromJsonAsync<JsonElement>();
        claims = CodeFlow.Payload(tokens.GetProperty("access_token").GetString()!);
        Assert.Equal(otherOrg, claims.GetProperty("org_id").GetString());
        Assert.Equal(["Developer"], Roles(claims));

        // Removed from the organization: no more tokens for it.
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.DeleteAsync($"/v1/organizations/{otherOrg}/members/{user.Id}")).StatusCode);
        var refused = await flow.RefreshAsync(tokens.GetProperty("refresh_token").GetString()!);
        Assert.Equal("invalid_grant", await CodeFlow.ErrorAsync(refused));

        // Its own organization still works, with its own role.
        claims = CodeFlow.Payload((await flow.TokensAsync(new Dictionary<string, string> { ["organization"] = ownOrg })).GetProperty("access_token").GetString()!);
        Assert.Equal(ownOrg, claims.GetProperty("org_id").GetString());
        Assert.Equal(["Owner"], Roles(claims));
    }

    [Theory]
    [InlineData("not-a-member", "access_denied")]
    [InlineData("malformed", "invalid_request")]
    public async Task An_organization_the_user_is_not_in_is_an_OAuth_error_and_nothing_is_issued(string fault, string error)
    {
        var (_, _, flow) = await CodeFlow.CreateAsync(fixture);
        var stranger = await TestUser.CreateAsync(fixture);
        var strangersOrg = await stranger.CreateOrganizationAsync("Not yours");
        var organization = fault == "malformed" ? "org_<script>" : strangersOrg;

        var (location, _) = await flow.AuthorizeAsync(new Dictionary<string, string> { ["organization"] = organization });
        var query = QueryHelpers.ParseQuery(location.Query);
        Assert.Equal(CodeFlow.RedirectUri, location.GetLeftPart(UriPartial.Path));
        Assert.Equal(error, query["error"].ToString());
        Assert.False(query.ContainsKey("code"));
    }

    [Fact]
    public async Task A_user_in_several_organizations_without_a_choice_picks_one_on_a_page()
    {
        var (user, ownOrg, flow) = await CodeFlow.CreateAsync(fixture);
        var (_, otherOrg) = await OtherOrganizationWithMemberAsync(user, "Admin");

        var (location, verifier) = await flow.AuthorizeAsync();
        Assert.Equal("/authorize/organization", location.AbsolutePath);
        var page = await (await user.Http.GetAsync(location.PathAndQuery)).Content.ReadAsStringAsync();
        Assert.Contains(ownOrg, page, StringComparison.Ordinal);
        Assert.Contains(otherOrg, page, StringComparison.Ordinal);
        var form = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = CodeFlow.Hidden(page, "__RequestVerificationToken"),
            ["returnUrl"] = CodeFlow.Hidden(page, "returnUrl"),
        };

        // Someone else's organization: refused, nothing changes.
        var stranger = await TestUser.CreateAsync(fixture);
        var strangersOrg = await stranger.CreateOrganizationAsync("Not yours");
        var refused = await user.Http.PostAsync("/authorize/organization", new FormUrlEncodedContent(new Dictionary<string, string>(form) { ["organization"] = strangersOrg }));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        // Without the anti-forgery token: refused.
        Assert.Equal(HttpStatusCode.BadRequest, (await user.Http.PostAsync("/authorize/organization", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["returnUrl"] = form["returnUrl"],
            ["organization"] = otherOrg,
        }))).StatusCode);

        var chosen = await user.Http.PostAsync("/authorize/organization", new FormUrlEncodedContent(new Dictionary<string, string>(form) { ["organization"] = otherOrg }));
        var back = chosen.Headers.Location!.ToString();
        Assert.StartsWith("/connect/authorize?", back, StringComparison.Ordinal);
        Assert.Equal(otherOrg, QueryHelpers.ParseQuery(new Uri(new Uri("https://localhost/"), back).Query)["organization"].ToString());
        var redirect = await flow.ContinueAsync(back);
        var code = QueryHelpers.ParseQuery(redirect.Query)["code"].ToString();
        var tokens = await (await flow.TokenAsync(new Dictionary<string, string>
        {
            ["grant_type"] = "authorization_code",
            ["code"] = code,
            ["redirect_uri"] = CodeFlow.RedirectUri,
            ["code_verifier"] = verifier,
        })).Content.ReadFromJsonAsync<JsonElement>();
        var claims = CodeFlow.Payload(tokens.GetProperty("access_token").GetString()!);
        Assert.Equal(otherOrg, claims.GetProperty("org_id").GetString());
        Assert.Equal(["Admin"], Roles(claims));
    }
}
