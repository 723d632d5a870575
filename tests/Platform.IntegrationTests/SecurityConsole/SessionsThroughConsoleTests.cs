using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.WebUtilities;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// "Where you are signed in" on the console's security page: the sessions of the account (this one marked), one ended,
/// then every other one ("sign out elsewhere"): their cookies refused and the refresh tokens signed in from them
/// revoked. Another person naming those sessions, and a third-party application's token, reach nothing.
/// </summary>
[Collection(Collections.Console)]
public sealed partial class SessionsThroughConsoleTests(PlatformFixture fixture)
{
    [Fact]
    public async Task Signing_out_elsewhere_refuses_the_other_sessions_cookies_and_revokes_their_refresh_tokens()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Sessions");
        await owner.EnrolTotpAndStepUpAsync();
        var org = owner.OrganizationId!;
        var client = await IdentityUser.For(fixture, owner.Browser, owner.Email).CreateClientAsync(org, "sessions app");

        // Two more devices of the same person: a phone with an application's refresh token, a tablet.
        using var phone = await owner.SignedInElsewhereAsync(fixture, "PhoneBrowser/1.0");
        using var tablet = await owner.SignedInElsewhereAsync(fixture, "TabletBrowser/2.0");
        var (location, verifier) = await IdentityUser.For(fixture, phone, owner.Email).AuthorizeAsync(client, IdentityUser.AllScopes);
        var tokens = await TokenAsync(phone, client, new()
        {
            ["grant_type"] = "authorization_code",
            ["code"] = QueryHelpers.ParseQuery(location.Query)["code"].ToString(),
            ["redirect_uri"] = IdentityUser.RedirectUri,
            ["code_verifier"] = verifier,
        });
        Assert.Equal(HttpStatusCode.OK, tokens.Status);
        var refreshed = await TokenAsync(phone, client, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = tokens.Body.GetProperty("refresh_token").GetString()! });
        Assert.Equal(HttpStatusCode.OK, refreshed.Status);
        var appToken = refreshed.Body.GetProperty("access_token").GetString()!;

        var security = await owner.GetAsync($"/console/o/{org}/security");
        Assert.Equal(200, security.Status);
        var rows = SessionRows().Matches(security.Html).ToList();
        Assert.Equal(3, rows.Count);
        Assert.Single(rows, r => r.Groups["current"].Success);
        var phoneSession = rows.Single(r => r.Groups["agent"].Value.StartsWith("PhoneBrowser/1.0", StringComparison.Ordinal)).Groups["id"].Value;
        var tabletSession = rows.Single(r => r.Groups["agent"].Value.StartsWith("TabletBrowser/2.0", StringComparison.Ordinal)).Groups["id"].Value;

        // Someone with an account and organization of their own names those sessions: nothing is found, nothing ends.
        var other = await ConsoleUser.SignedUpAsync(fixture, "Sessions Other");
        var otherSecurity = await other.GetAsync($"/console/o/{other.OrganizationId}/security");
        Assert.DoesNotContain(phoneSession, otherSecurity.Html);
        Assert.Equal(404, (await other.PostAsync($"/console/o/{other.OrganizationId}/security/sessions/{phoneSession}/end", otherSecurity, [])).Status);
        Assert.Equal(403, (await other.PostAsync($"/console/o/{org}/security/sessions/sign-out-others", otherSecurity, [])).Status);
        using (var direct = await other.Browser.DeleteAsync($"/v1/me/sessions/{tabletSession}"))
        {
            Assert.Equal(HttpStatusCode.NotFound, direct.StatusCode);
        }

        // A form from elsewhere (no anti-forgery token) and a third-party application's token are refused too.
        Assert.Equal(400, (await owner.PostAsync($"/console/o/{org}/security/sessions/sign-out-others", security, [], withAntiforgery: false)).Status);
        using (var viaApp = new HttpRequestMessage(HttpMethod.Post, "/v1/me/sessions/sign-out-others"))
        {
            viaApp.Headers.Authorization = new("Bearer", appToken);
            using var application = ConsoleUser.NewBrowser(fixture, new CookieContainer(), followRedirects: false);
            using var refused = await application.SendAsync(viaApp);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        await AssertSignedInAsync(phone, true);
        await AssertSignedInAsync(tablet, true);

        // One session ended from the list: the tablet only.
        var endedOne = await owner.PostAsync($"/console/o/{org}/security/sessions/{tabletSession}/end", security, []);
        Assert.Equal(200, endedOne.Status);
        Assert.Equal("That session is signed out: its browser must sign in again.", endedOne.Text("notice"));
        Assert.DoesNotContain(tabletSession, endedOne.Html);
        await AssertSignedInAsync(tablet, false);
        await AssertSignedInAsync(phone, true);

        // Sign out everywhere else: the phone's cookie and the application's refresh token stop working.
        var endedOthers = await owner.PostAsync($"/console/o/{org}/security/sessions/sign-out-others", endedOne, []);
        Assert.Equal(200, endedOthers.Status);
        Assert.Equal("Every other session is signed out.", endedOthers.Text("notice"));
        Assert.Single(SessionRows().Matches(endedOthers.Html), r => r.Groups["current"].Success);
        await AssertSignedInAsync(phone, false);
        var revoked = await TokenAsync(phone, client, new() { ["grant_type"] = "refresh_token", ["refresh_token"] = refreshed.Body.GetProperty("refresh_token").GetString()! });
        Assert.Equal(HttpStatusCode.BadRequest, revoked.Status);
        Assert.Equal("invalid_grant", revoked.Body.GetProperty("error").GetString());

        // This session (console included) goes on.
        Assert.Equal(200, (await owner.GetAsync($"/console/o/{org}/keys")).Status);
    }

    private static async Task AssertSignedInAsync(HttpClient browser, bool expected)
    {
        using var me = await browser.GetAsync("/v1/me");
        Assert.Equal(expected ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, me.StatusCode);
    }

    private static async Task<(HttpStatusCode Status, JsonElement Body)> TokenAsync(HttpClient browser, (string Id, string Secret) client, Dictionary<string, string> form)
    {
        form["client_id"] = client.Id;
        form["client_secret"] = client.Secret;
        using var response = await browser.PostAsync("/connect/token", new FormUrlEncodedContent(form));
        return (response.StatusCode, await response.Content.ReadFromJsonAsync<JsonElement>());
    }

    [GeneratedRegex("<tr data-session=\"(?<id>[0-9a-f]{32})\"(?<current> data-current=\"true\")?><td>(?<agent>[^<]*)")]
    private static partial Regex SessionRows();
}
