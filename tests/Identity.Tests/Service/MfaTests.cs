using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OtpNet;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

[Collection(IdentityCollection.Name)]
public sealed class MfaTests(IdentityFixture fixture)
{
    [Fact]
    public async Task Enrolment_gives_a_QR_code_a_manual_key_and_ten_recovery_codes_and_stores_the_secret_encrypted()
    {
        var user = await TestUser.CreateAsync(fixture);
        var begin = await (await user.Http.PostAsync("/v1/me/mfa/totp", null)).Content.ReadFromJsonAsync<JsonElement>();
        Assert.StartsWith("data:image/png;base64,", begin.GetProperty("qrCode").GetString(), StringComparison.Ordinal);
        Assert.StartsWith("otpauth://totp/Platform:", begin.GetProperty("otpAuthUri").GetString(), StringComparison.Ordinal);
        var secret = Base32Encoding.ToBytes(begin.GetProperty("manualKey").GetString()!);
        Assert.Equal(20, secret.Length);

        var wrong = await user.Http.PostAsJsonAsync("/v1/me/mfa/totp/confirm", new { code = "000000" == new Totp(secret).ComputeTotp(fixture.Clock.GetUtcNow().UtcDateTime) ? "111111" : "000000" });
        Assert.Equal(HttpStatusCode.BadRequest, wrong.StatusCode);
        var confirm = await user.Http.PostAsJsonAsync("/v1/me/mfa/totp/confirm", new { code = new Totp(secret).ComputeTotp(fixture.Clock.GetUtcNow().UtcDateTime) });
        var codes = (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString()).ToList();
        Assert.Equal(10, codes.Distinct().Count());

        await using var select = fixture.Database.CreateCommand("SELECT totp_secret FROM users WHERE id = $1");
        select.Parameters.AddWithValue(user.Id);
        var stored = (byte[])(await select.ExecuteScalarAsync())!;
        Assert.True(stored.Length >= secret.Length + 28);
        Assert.False(stored.AsSpan().IndexOf(secret) >= 0, "The TOTP secret is stored in plaintext.");
        await using var recovery = fixture.Database.CreateCommand("SELECT count(*) FROM recovery_codes WHERE user_id = $1 AND length(hash) = 32");
        recovery.Parameters.AddWithValue(user.Id);
        Assert.Equal(10L, (long)(await recovery.ExecuteScalarAsync())!);

        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.mfa.enrolled" && e.GetProperty("target").GetString() == user.Id);
    }

    [Fact]
    public async Task Sign_in_asks_for_the_second_factor_and_a_code_cannot_be_used_twice()
    {
        var user = await TestUser.CreateAsync(fixture);
        await user.EnrolTotpAsync();
        var client = fixture.Client();
        var signIn = await (await client.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password })).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("mfa-required", signIn.GetProperty("status").GetString());
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.GetAsync("/v1/me")).StatusCode);

        // The enrolment used the current step: its code is spent.
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/v1/session/mfa", new { code = user.Code() })).StatusCode);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(30));
        var code = user.Code();
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/session/mfa", new { code })).StatusCode);
        var me = await client.GetFromJsonAsync<JsonElement>("/v1/me");
        Assert.Equal<string>(["pwd", "otp", "mfa"], me.GetProperty("amr").EnumerateArray().Select(a => a.GetString()!).ToArray());

        var other = fixture.Client();
        await other.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, (await other.PostAsJsonAsync("/v1/session/mfa", new { code })).StatusCode);
    }

    [Fact]
    public async Task Codes_one_step_old_are_accepted_and_two_steps_old_are_not()
    {
        var user = await TestUser.CreateAsync(fixture);
        await user.EnrolTotpAsync();
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(90));
        var client = fixture.Client();
        await client.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, (await client.PostAsJsonAsync("/v1/session/mfa", new { code = user.Code(TimeSpan.FromSeconds(-60)) })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/session/mfa", new { code = user.Code(TimeSpan.FromSeconds(-30)) })).StatusCode);
    }

    [Fact]
    public async Task A_recovery_code_works_once()
    {
        var user = await TestUser.CreateAsync(fixture);
        await user.EnrolTotpAsync();
        var first = fixture.Client();
        await first.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.OK, (await first.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode = user.RecoveryCodes[3].ToUpperInvariant() })).StatusCode);
        var amr = (await first.GetFromJsonAsync<JsonElement>("/v1/me")).GetProperty("amr").EnumerateArray().Select(a => a.GetString()!).ToArray();
        Assert.Equal<string>(["pwd", "mfa"], amr);

        var second = fixture.Client();
        await second.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.Unauthorized, (await second.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode = user.RecoveryCodes[3] })).StatusCode);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.mfa.recovery_code_used" && e.GetProperty("target").GetString() == user.Id);
    }

    [Fact]
    public async Task Removing_the_authenticator_needs_a_step_up()
    {
        var user = await TestUser.CreateAsync(fixture);
        await user.EnrolTotpAsync();
        var refused = await user.Http.DeleteAsync("/v1/me/mfa/totp");
        var problem = await refused.ProblemAsync();
        Assert.Equal((HttpStatusCode.Unauthorized, "https://platform.dev/problems/step-up-required"), (problem.Status, problem.Type));
        Assert.Contains("insufficient_user_authentication", refused.Headers.WwwAuthenticate.ToString(), StringComparison.Ordinal);
        await user.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await user.Http.DeleteAsync("/v1/me/mfa/totp")).StatusCode);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.mfa.removed" && e.GetProperty("target").GetString() == user.Id);
    }

    [Fact]
    public async Task An_organization_that_requires_MFA_sends_members_without_it_to_enrolment()
    {
        var owner = await TestUser.CreateAsync(fixture);
        await owner.EnrolTotpAsync();
        var orgId = await owner.CreateOrganizationAsync();
        var member = await TestUser.CreateAsync(fixture);
        await owner.Http.PostAsJsonAsync($"/v1/organizations/{orgId}/invitations", new { email = member.Email, role = "Developer" });
        var token = IdentityFixture.CodeIn(await fixture.MailToAsync(member.Email, "invited"));
        Assert.Equal(HttpStatusCode.OK, (await member.Http.PostAsJsonAsync("/v1/invitations/accept", new { token })).StatusCode);

        Assert.Equal(HttpStatusCode.Unauthorized, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/settings", new { requireMfa = true })).StatusCode);
        await owner.StepUpAsync();
        Assert.Equal(HttpStatusCode.NoContent, (await owner.Http.PutAsJsonAsync($"/v1/organizations/{orgId}/settings", new { requireMfa = true })).StatusCode);

        var signIn = await (await member.SignInAsync()).Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("mfa-enrolment-required", signIn.GetProperty("status").GetString());
        var refused = await (await member.Http.GetAsync("/v1/organizations")).ProblemAsync();
        Assert.Equal("https://platform.dev/problems/mfa-enrolment-required", refused.Type);
        await member.EnrolTotpAsync();
        Assert.Equal(HttpStatusCode.OK, (await member.Http.GetAsync("/v1/organizations")).StatusCode);
        // The authenticator cannot be removed while the organization requires it.
        await member.StepUpAsync();
        Assert.Equal(HttpStatusCode.Forbidden, (await member.Http.DeleteAsync("/v1/me/mfa/totp")).StatusCode);
    }
}
