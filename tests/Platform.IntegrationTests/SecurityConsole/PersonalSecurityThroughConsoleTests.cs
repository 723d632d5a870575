using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// "Your security" in the console (issue 19 item 2), through identity's <c>/v1/me/password</c> and
/// <c>/v1/me/mfa/recovery-codes</c> with the console's token: a password change needs the current password (wrong,
/// weak or mistyped: a message next to the field, nothing changed, no password echoed), signs out every other session
/// and keeps this one; new recovery codes are shown once (never cached), replace every earlier code, and the page
/// counts the unused ones. A form from elsewhere and a third-party application's token change nothing.
/// </summary>
[Collection(Collections.Console)]
public sealed partial class PersonalSecurityThroughConsoleTests(PlatformFixture fixture)
{
    private const string NewPassword = "a brand new passphrase for platform 7";

    [Fact]
    public async Task An_Owner_changes_the_password_signing_out_elsewhere_and_replaces_the_recovery_codes_shown_once()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Personal");
        await owner.EnrolTotpAndStepUpAsync();
        var org = owner.OrganizationId!;
        var oldCode = owner.TakeRecoveryCode();
        using var phone = await owner.SignedInElsewhereAsync(fixture);

        // Two of the ten codes are used (the step-up, the phone's sign-in): eight left.
        var security = await owner.GetAsync($"/console/o/{org}/security");
        Assert.Equal(200, security.Status);
        Assert.Equal("8", RecoveryCodesLeft(security.Html));
        Assert.DoesNotContain("id=\"new-recovery-codes\"", security.Html);

        // Refused forms: a message next to the field, nothing typed shown again (every field here is secret).
        var mistyped = await owner.PostAsync($"/console/o/{org}/security/password", security,
            [new("currentPassword", ConsoleUser.Password), new("newPassword", NewPassword), new("confirmPassword", NewPassword + "x")]);
        Assert.Equal(400, mistyped.Status);
        Assert.Equal("The two new passwords differ.", mistyped.Text("confirmPassword-error"));
        Assert.DoesNotContain(NewPassword, mistyped.Html);

        var wrong = await owner.PostAsync($"/console/o/{org}/security/password", security,
            [new("currentPassword", "not my password at all 1"), new("newPassword", NewPassword), new("confirmPassword", NewPassword)]);
        Assert.Equal(400, wrong.Status);
        Assert.StartsWith("The current password is not right.", wrong.Text("currentPassword-error"));
        Assert.NotNull(wrong.Text("request-id"));
        Assert.DoesNotContain(NewPassword, wrong.Html);

        var weak = await owner.PostAsync($"/console/o/{org}/security/password", security,
            [new("currentPassword", ConsoleUser.Password), new("newPassword", "short"), new("confirmPassword", "short")]);
        Assert.Equal(400, weak.Status);
        Assert.Contains("too short", weak.Text("newPassword-error"));

        Assert.Equal(400, (await owner.PostAsync($"/console/o/{org}/security/password", security,
            [new("currentPassword", ConsoleUser.Password), new("newPassword", NewPassword), new("confirmPassword", NewPassword)], withAntiforgery: false)).Status);
        await AssertSignedInAsync(phone, true);
        await AssertPasswordAsync(owner.Email, ConsoleUser.Password, true);

        // A third-party application's token reaches neither API.
        var appToken = await ApplicationTokenAsync(owner, phone);
        foreach (var (method, path, body) in new (HttpMethod, string, object?)[]
        {
            (HttpMethod.Post, "/v1/me/password", new { currentPassword = ConsoleUser.Password, newPassword = NewPassword }),
            (HttpMethod.Post, "/v1/me/mfa/recovery-codes", null),
            (HttpMethod.Get, "/v1/me/mfa/recovery-codes", null),
        })
        {
            using var request = new HttpRequestMessage(method, path) { Content = body is null ? null : JsonContent.Create(body) };
            request.Headers.Authorization = new("Bearer", appToken);
            using var application = ConsoleUser.NewBrowser(fixture, new CookieContainer(), followRedirects: false);
            using var refused = await application.SendAsync(request);
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        // New recovery codes: shown once in the answer (no-store), the earlier ones void, the new ones work.
        var codesPage = await owner.PostAsync($"/console/o/{org}/security/recovery-codes", security, []);
        Assert.Equal(200, codesPage.Status);
        Assert.Equal("no-store", codesPage.CacheControl);
        var codes = RecoveryCode().Matches(codesPage.Html).Select(m => m.Groups["code"].Value).ToList();
        Assert.Equal(10, codes.Count);
        Assert.Equal("10", RecoveryCodesLeft(codesPage.Html));
        Assert.DoesNotContain(codes[0], codesPage.Address.ToString());
        var again = await owner.GetAsync($"/console/o/{org}/security");
        Assert.DoesNotContain(codes[0], again.Html);
        using (var tablet = ConsoleUser.NewBrowser(fixture, new CookieContainer(), followRedirects: false))
        {
            using (var signIn = await tablet.PostAsJsonAsync("/v1/session", new { email = owner.Email, password = ConsoleUser.Password }))
            {
                Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
            }

            using (var old = await tablet.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode = oldCode }))
            {
                Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
            }

            using var fresh = await tablet.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode = codes[0] });
            Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
        }

        // The password change: the phone is signed out, this console session goes on, the new password works.
        var changed = await owner.PostAsync($"/console/o/{org}/security/password", again,
            [new("currentPassword", ConsoleUser.Password), new("newPassword", NewPassword), new("confirmPassword", NewPassword)]);
        Assert.Equal(200, changed.Status);
        Assert.Equal("Your password is changed. Every other session of your account is signed out.", changed.Text("notice"));
        Assert.DoesNotContain(NewPassword, changed.Html);
        Assert.DoesNotContain(NewPassword, changed.Address.ToString());
        await AssertSignedInAsync(phone, false);
        Assert.Equal(200, (await owner.GetAsync($"/console/o/{org}/keys")).Status);
        await AssertPasswordAsync(owner.Email, ConsoleUser.Password, false);
        await AssertPasswordAsync(owner.Email, NewPassword, true);
    }

    private static string? RecoveryCodesLeft(string html) => Regex.Match(html, "id=\"recovery-codes-left\" data-left=\"(?<left>\\d+)\"") is { Success: true } m ? m.Groups["left"].Value : null;

    [GeneratedRegex("<li><code>(?<code>[a-z2-7]{8}-[a-z2-7]{8})</code></li>")]
    private static partial Regex RecoveryCode();

    /// <summary>An access token of an organization's own (third-party) web client, for the same person.</summary>
    private async Task<string> ApplicationTokenAsync(ConsoleUser owner, HttpClient signedIn)
    {
        var client = await IdentityUser.For(fixture, owner.Browser, owner.Email).CreateClientAsync(owner.OrganizationId!, "personal app");
        return await IdentityUser.For(fixture, signedIn, owner.Email).AccessTokenAsync(client);
    }

    private static async Task AssertSignedInAsync(HttpClient browser, bool expected)
    {
        using var me = await browser.GetAsync("/v1/me");
        Assert.Equal(expected ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, me.StatusCode);
    }

    private async Task AssertPasswordAsync(string email, string password, bool works)
    {
        using var browser = ConsoleUser.NewBrowser(fixture, new CookieContainer(), followRedirects: false);
        using var signIn = await browser.PostAsJsonAsync("/v1/session", new { email, password });
        Assert.Equal(works ? HttpStatusCode.OK : HttpStatusCode.Unauthorized, signIn.StatusCode);
    }
}
