using System.Net;
using System.Net.Http.Json;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// What someone with an organization of their own and a browser would try against the console: another
/// organization's id in a URL or a form, a form posted from elsewhere (no anti-forgery token), a session cookie kept
/// after sign-out.
/// </summary>
[Collection(Collections.Console)]
public sealed class ConsoleAttackTests(PlatformFixture fixture)
{
    private static async Task<ConsoleUser> OwnerOnKeysPageAsync(PlatformFixture fixture, string organization)
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, organization);
        await owner.EnrolTotpAndStepUpAsync();
        var keys = await owner.GetAsync($"/console/o/{owner.OrganizationId}/keys");
        Assert.Equal(200, keys.Status);
        return owner;
    }

    [Fact]
    public async Task Naming_another_organization_in_a_console_URL_or_form_is_refused_and_shows_nothing_of_it()
    {
        var a = await OwnerOnKeysPageAsync(fixture, "Alpha");
        var b = await OwnerOnKeysPageAsync(fixture, "Beta Confidential");
        var orgA = a.OrganizationId!;
        var orgB = b.OrganizationId!;
        var created = await b.PostAsync($"/console/o/{orgB}/keys", await b.GetAsync($"/console/o/{orgB}/keys"),
            [new("name", "beta-secret-pipeline"), new("environment", "live"), new("scope-dataset", "full")]);
        Assert.Equal(201, created.Status);

        // A GET asks identity for a token of B: identity refuses (A is no member), the console shows a refusal.
        foreach (var page in new[] { "", "/keys", "/members", "/audit", "/network" })
        {
            var refused = await a.GetAsync($"/console/o/{orgB}{page}");
            Assert.Equal(403, refused.Status);
            Assert.Contains("id=\"refusal\"", refused.Html);
            Assert.DoesNotContain("beta-secret-pipeline", refused.Html);
            Assert.DoesNotContain("Beta Confidential", refused.Html);
            Assert.DoesNotContain(b.Email, refused.Html);
        }

        // A form of A's page posted to B's address (A's own valid anti-forgery token) is refused before any API call.
        var own = await a.GetAsync($"/console/o/{orgA}/keys");
        Assert.Equal(200, own.Status);
        var forged = await a.PostAsync($"/console/o/{orgB}/keys", own, [new("name", "planted"), new("environment", "live"), new("scope-dataset", "full")]);
        Assert.Equal(403, forged.Status);
        var invite = await a.PostAsync($"/console/o/{orgB}/members/invite", own, [new("email", "mallory@example.com"), new("role", "Owner")]);
        Assert.Equal(403, invite.Status);

        // Nothing changed at B, and A's own session still works for A.
        var bKeys = await b.GetAsync($"/console/o/{orgB}/keys");
        Assert.DoesNotContain("planted", bKeys.Html);
        Assert.Contains("beta-secret-pipeline", bKeys.Html);
        var bMembers = await b.GetAsync($"/console/o/{orgB}/members");
        Assert.DoesNotContain(a.Email, bMembers.Html);
        Assert.Equal(orgA, (await a.GetAsync($"/console/o/{orgA}")).Text("org"));
    }

    [Fact]
    public async Task A_form_posted_without_the_anti_forgery_token_is_refused_and_changes_nothing()
    {
        var owner = await OwnerOnKeysPageAsync(fixture, "Gamma");
        var org = owner.OrganizationId!;
        var keys = await owner.GetAsync($"/console/o/{org}/keys");
        var posted = await owner.PostAsync($"/console/o/{org}/keys", keys, [new("name", "csrf"), new("environment", "live"), new("scope-dataset", "full")], withAntiforgery: false);
        Assert.Equal(400, posted.Status);
        Assert.Contains("anti-forgery", posted.Html);
        var wrongToken = await owner.PostAsync($"/console/o/{org}/keys", keys, [new("name", "csrf"), new("environment", "live"), new("scope-dataset", "full"), new("__console_af", "forged")], withAntiforgery: false);
        Assert.Equal(400, wrongToken.Status);
        var signOut = await owner.PostAsync("/console/signout", keys, [], withAntiforgery: false);
        Assert.Equal(400, signOut.Status);
        var after = await owner.GetAsync($"/console/o/{org}/keys");
        Assert.Contains("id=\"no-keys\"", after.Html);
    }

    [Fact]
    public async Task Sign_out_ends_the_console_and_identity_sessions_and_the_saved_cookie_no_longer_works()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Delta");
        var org = owner.OrganizationId!;
        var overview = await owner.GetAsync($"/console/o/{org}");
        Assert.Equal(200, overview.Status);
        var saved = owner.Cookies.GetAllCookies().Single(c => c.Name == "__Host-console");
        Assert.True(saved.Secure && saved.HttpOnly && saved.Path == "/");

        // Replayed from elsewhere before sign-out, the cookie alone opens the page (the check below is not vacuous).
        var thief = new CookieContainer();
        thief.Add(fixture.Gateway, new Cookie(saved.Name, saved.Value, "/"));
        using var thiefBrowser = ConsoleUser.NewBrowser(fixture, thief, followRedirects: false);
        using (var before = await thiefBrowser.GetAsync($"/console/o/{org}"))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        var signedOut = await owner.PostAsync("/console/signout", overview, overview.SignOutFields);
        Assert.Contains("id=\"signed-out\"", signedOut.Html);
        Assert.Equal("/console/signed-out", signedOut.Address.AbsolutePath);

        // The identity session ended too (RP-initiated logout): the console asks for a sign-in, no silent re-login.
        var again = await owner.GetAsync($"/console/o/{org}");
        Assert.Equal("/signin", again.Address.AbsolutePath);
        Assert.DoesNotContain(org, again.Html);

        using var after = await thiefBrowser.GetAsync($"/console/o/{org}");
        Assert.Equal(HttpStatusCode.Redirect, after.StatusCode);
        Assert.Equal("/connect/authorize", after.Headers.Location!.AbsolutePath);
        Assert.DoesNotContain(org, await after.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task A_form_sent_after_the_session_ended_leads_through_sign_in_back_to_its_page_and_changes_nothing()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Echo");
        var org = owner.OrganizationId!;
        var members = await owner.GetAsync($"/console/o/{org}/members");
        Assert.Equal(200, members.Status);
        Assert.Contains("id=\"signed-out\"", (await owner.PostAsync("/console/signout", members, members.SignOutFields)).Html);

        // The invitation form of the page loaded before: identity asks for a sign-in (its session ended too).
        var invitee = $"late-{Guid.NewGuid():n}@example.com";
        var late = await owner.PostAsync($"/console/o/{org}/members/invite", members, [new("email", invitee), new("role", "Viewer")]);
        Assert.Equal("/signin", late.Address.AbsolutePath);
        Assert.DoesNotContain(org, late.Html);
        var returnUrl = Microsoft.AspNetCore.WebUtilities.QueryHelpers.ParseQuery(late.Address.Query)["returnUrl"].ToString();
        Assert.StartsWith("/connect/authorize", returnUrl);

        // Signed in again, the browser comes back to the members page (a GET), and nobody was invited.
        using (var signIn = await owner.Browser.PostAsJsonAsync("/v1/session", new { email = owner.Email, password = ConsoleUser.Password }))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        var back = await owner.GetAsync(returnUrl);
        Assert.Equal(200, back.Status);
        Assert.Equal($"/console/o/{org}/members", back.Address.AbsolutePath);
        Assert.DoesNotContain(invitee, back.Html);
    }
}
