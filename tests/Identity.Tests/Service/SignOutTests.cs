using System.Net;
using System.Net.Http.Json;
using Platform.Hosting.Testing;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>Signing out ends the session on the server (issue 14): a copy of the cookie kept elsewhere stops working.</summary>
[Collection(IdentityCollection.Name)]
public sealed class SignOutTests(IdentityFixture fixture)
{
    private static string SessionCookie(HttpResponseMessage signIn) =>
        signIn.Headers.GetValues("Set-Cookie").Select(c => c.Split(';')[0]).Single(c => c.StartsWith("__Host-platform-session=", StringComparison.Ordinal));

    private async Task<HttpStatusCode> MeWithAsync(string cookie)
    {
        var replay = fixture.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/me");
        request.Headers.Add("Cookie", cookie);
        return (await replay.SendAsync(request)).StatusCode;
    }

    [Theory]
    [InlineData("api")]
    [InlineData("page")]
    public async Task A_saved_session_cookie_no_longer_works_after_sign_out(string how)
    {
        var user = await TestUser.CreateAsync(fixture);
        var saved = SessionCookie(await user.SignInAsync());
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(saved));

        if (how == "api")
        {
            Assert.Equal(HttpStatusCode.NoContent, (await user.Http.DeleteAsync("/v1/session")).StatusCode);
        }
        else
        {
            var page = await (await user.Http.GetAsync("/account")).Content.ReadAsStringAsync();
            var signOut = await user.Http.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string>
            {
                ["__RequestVerificationToken"] = BrowserForms.Hidden(page, "__RequestVerificationToken"),
            }));
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(saved));
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.session.ended" && e.GetProperty("actor").GetString() == user.Id);
    }

    [Fact]
    public async Task Signing_in_again_replaces_the_earlier_session_and_other_sessions_stay()
    {
        var user = await TestUser.CreateAsync(fixture);
        var first = SessionCookie(await user.SignInAsync());
        var second = SessionCookie(await user.SignInAsync());
        var elsewhere = fixture.Client();
        var third = SessionCookie(await elsewhere.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password }));

        // The same browser's earlier session is replaced (no fixation); another browser's session is its own.
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(first));
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(second));
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(third));
        await user.Http.DeleteAsync("/v1/session");
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWithAsync(second));
        Assert.Equal(HttpStatusCode.OK, await MeWithAsync(third));
    }
}
