using System.Net;
using System.Net.Http.Json;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Issue 14, class 6: signing out left the session valid on the server. The attacker holds a copy of a session cookie
/// (a shared computer, a stolen backup, malware) and replays it after the victim signed out. Through the gateway over HTTPS.
/// </summary>
[Collection(Collections.Platform)]
public sealed class SessionAttacks(PlatformFixture fixture)
{
    private async Task<(IdentityUser User, SocketsHttpHandler Handler)> SignedInAsync()
    {
        var handler = ClientAddresses.Handler(fixture, ClientAddresses.Fresh());
        var (user, _) = await IdentityUser.OwnerAsync(fixture, handler);
        return (user, handler);
    }

    private string SavedCookie(SocketsHttpHandler handler) => handler.CookieContainer.GetCookieHeader(fixture.App.GetEndpoint("gateway"));

    /// <summary>GET /v1/me with nothing but the replayed cookie header, from the attacker's own address.</summary>
    private async Task<HttpStatusCode> ReplayAsync(string cookie)
    {
        var handler = ClientAddresses.Handler(fixture, ClientAddresses.Fresh());
        handler.UseCookies = false;
        using var attacker = fixture.App.CreateHttpClient("gateway", handler: handler);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/me");
        request.Headers.Add("Cookie", cookie);
        using var response = await attacker.SendAsync(request);
        return response.StatusCode;
    }

    [Fact]
    public async Task A_saved_session_cookie_is_refused_after_the_user_signs_out()
    {
        var (user, handler) = await SignedInAsync();
        var saved = SavedCookie(handler);
        Assert.Contains("__Host-platform-session=", saved, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, await ReplayAsync(saved));

        using (var signOut = await user.Browser.DeleteAsync("/v1/session"))
        {
            Assert.Equal(HttpStatusCode.NoContent, signOut.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ReplayAsync(saved));
    }

    [Fact]
    public async Task A_saved_session_cookie_is_refused_after_signing_out_on_the_page()
    {
        var (user, handler) = await SignedInAsync();
        var saved = SavedCookie(handler);
        var account = await user.Browser.GetStringAsync("/account");
        using (var signOut = await user.Browser.PostAsync("/signout", new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = BrowserForms.Hidden(account, "__RequestVerificationToken"),
        })))
        {
            Assert.Equal(HttpStatusCode.Redirect, signOut.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ReplayAsync(saved));
    }

    [Fact]
    public async Task A_cookie_from_before_the_next_sign_in_in_the_same_browser_is_refused()
    {
        var (user, handler) = await SignedInAsync();
        var before = SavedCookie(handler);
        using (var again = await user.Browser.PostAsJsonAsync("/v1/session", new { email = user.Email, password = IdentityUser.Password }))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        Assert.Equal(HttpStatusCode.Unauthorized, await ReplayAsync(before));
        Assert.Equal(HttpStatusCode.OK, await ReplayAsync(SavedCookie(handler)));
    }
}
