using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>A password reset ends every session and token of the user, wherever they were signed in.</summary>
[Collection(IdentityCollection.Name)]
public sealed class PasswordResetRevocationTests(IdentityFixture fixture)
{
    [Fact]
    public async Task A_password_reset_signs_out_every_session_and_revokes_every_token_family()
    {
        var (user, _, flow) = await CodeFlow.CreateAsync(fixture);
        var tokens = await flow.TokensAsync();
        var refreshToken = tokens.GetProperty("refresh_token").GetString()!;
        var accessToken = tokens.GetProperty("access_token").GetString()!;
        Assert.True(await flow.IntrospectActiveAsync(accessToken));

        // A second browser signed in elsewhere.
        var elsewhere = new TestUser(fixture, fixture.Client(), user.Email, user.Password) { TotpSecret = user.TotpSecret };
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.SignInAsync()).StatusCode);
        await elsewhere.StepUpAsync();
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.Http.GetAsync("/v1/me")).StatusCode);
        // A third one half-way through sign-in (password done, second factor pending).
        var pending = new TestUser(fixture, fixture.Client(), user.Email, user.Password);
        Assert.Equal("mfa-required", (await (await pending.SignInAsync()).Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());

        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Client().PostAsJsonAsync("/v1/accounts/password-reset", new { email = user.Email })).StatusCode);
        var code = IdentityFixture.CodeIn(await fixture.MailToAsync(user.Email, "Reset your password"));
        const string newPassword = "a brand new long passphrase 9";
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Client().PostAsJsonAsync("/v1/accounts/password-reset/complete", new { token = code, password = newPassword })).StatusCode);

        // Cookie sessions issued before the reset are refused, on the API and on the pages.
        Assert.Equal(HttpStatusCode.Unauthorized, (await elsewhere.Http.GetAsync("/v1/me")).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.Http.GetAsync("/v1/me")).StatusCode);
        Assert.StartsWith("/signin", (await elsewhere.Http.GetAsync("/account")).Headers.Location?.ToString(), StringComparison.Ordinal);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(30));
        var pendingMfa = await pending.Http.PostAsJsonAsync("/v1/session/mfa", new { code = user.Code() });
        Assert.Equal(HttpStatusCode.Unauthorized, pendingMfa.StatusCode);

        // Every token family is revoked: the refresh token gives invalid_grant, the access token is no longer active.
        var refresh = await flow.RefreshAsync(refreshToken);
        Assert.Equal(HttpStatusCode.BadRequest, refresh.StatusCode);
        Assert.Equal("invalid_grant", await CodeFlow.ErrorAsync(refresh));
        Assert.False(await flow.IntrospectActiveAsync(accessToken));

        // Audited through the outbox.
        await fixture.Events.WaitForAsync("audit.recorded", e =>
            e.GetProperty("action").GetString() == "identity.user.sessions_revoked" && e.GetProperty("target").GetString() == user.Id
            && e.GetProperty("details").GetProperty("reason").GetString() == "password-reset"
            && int.Parse(e.GetProperty("details").GetProperty("authorizations").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 1);

        // A new sign-in with the new password works, and gets new tokens.
        var fresh = new TestUser(fixture, fixture.Client(), user.Email, newPassword) { TotpSecret = user.TotpSecret };
        Assert.Equal(HttpStatusCode.OK, (await fresh.SignInAsync()).StatusCode);
        await fresh.StepUpAsync();
        Assert.Equal(HttpStatusCode.OK, (await fresh.Http.GetAsync("/v1/me")).StatusCode);
    }
}
