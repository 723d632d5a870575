using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OtpNet;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>A user driving the JSON API as a client would: signs up, reads the mail, verifies, signs in, enrols TOTP.</summary>
public sealed class TestUser(IdentityFixture fixture, HttpClient client, string email, string password)
{
    public HttpClient Http { get; } = client;

    public string Email { get; } = email;

    public string Password { get; } = password;

    public string Id { get; set; } = "";

    public byte[]? TotpSecret { get; set; }

    public IReadOnlyList<string> RecoveryCodes { get; set; } = [];

    public static string NewEmail(string name = "user") => $"{name}-{Guid.NewGuid():n}@example.com";

    public const string GoodPassword = "correct horse battery staple 42";

    /// <summary>A signed-up, verified, signed-in user (password only).</summary>
    public static async Task<TestUser> CreateAsync(IdentityFixture fixture, string? email = null)
    {
        var user = new TestUser(fixture, fixture.Client(), email ?? NewEmail(), GoodPassword);
        var signUp = await user.Http.PostAsJsonAsync("/v1/accounts", new { email = user.Email, password = user.Password });
        Assert.Equal(HttpStatusCode.Accepted, signUp.StatusCode);
        var mail = await fixture.MailToAsync(user.Email, "Verify your email");
        var verify = await user.Http.PostAsJsonAsync("/v1/accounts/verify-email", new { token = IdentityFixture.CodeIn(mail) });
        Assert.Equal(HttpStatusCode.NoContent, verify.StatusCode);
        var signIn = await user.SignInAsync();
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        user.Id = (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("userId").GetString()!;
        return user;
    }

    public Task<HttpResponseMessage> SignInAsync(string? password = null) =>
        Http.PostAsJsonAsync("/v1/session", new { email = Email, password = password ?? Password });

    /// <summary>Enrols TOTP through the API; the session keeps its password-only methods.</summary>
    public async Task EnrolTotpAsync()
    {
        var begin = await Http.PostAsync("/v1/me/mfa/totp", null);
        Assert.Equal(HttpStatusCode.OK, begin.StatusCode);
        var enrolment = await begin.Content.ReadFromJsonAsync<JsonElement>();
        TotpSecret = Base32Encoding.ToBytes(enrolment.GetProperty("manualKey").GetString()!);
        var confirm = await Http.PostAsJsonAsync("/v1/me/mfa/totp/confirm", new { code = Code() });
        Assert.Equal(HttpStatusCode.OK, confirm.StatusCode);
        RecoveryCodes = (await confirm.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("recoveryCodes").EnumerateArray().Select(e => e.GetString()!).ToList();
    }

    /// <summary>The TOTP code at the service's (fake) clock.</summary>
    public string Code(TimeSpan? offset = null) => new Totp(TotpSecret!).ComputeTotp((fixture.Clock.GetUtcNow() + (offset ?? TimeSpan.Zero)).UtcDateTime);

    /// <summary>A well-formed code that is not valid now (nor one step either side).</summary>
    public string WrongCode()
    {
        var valid = new[] { Code(TimeSpan.FromSeconds(-30)), Code(), Code(TimeSpan.FromSeconds(30)) };
        return Enumerable.Range(0, 4).Select(i => ((int.Parse(valid[1], System.Globalization.CultureInfo.InvariantCulture) + 1 + i) % 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture))
            .First(candidate => !valid.Contains(candidate));
    }

    /// <summary>Moves to the next TOTP step (codes are single-use) and passes the second factor.</summary>
    public async Task StepUpAsync()
    {
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(30));
        var response = await Http.PostAsJsonAsync("/v1/session/mfa", new { code = Code() });
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    public async Task<string> CreateOrganizationAsync(string name = "Acme")
    {
        var response = await Http.PostAsJsonAsync("/v1/organizations", new { name });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
    }
}

public static class ProblemExtensions
{
    public static async Task<(HttpStatusCode Status, string? Type, string? Detail)> ProblemAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync();
        if (text.Length == 0) return (response.StatusCode, null, null);
        var json = JsonDocument.Parse(text).RootElement;
        return (response.StatusCode,
            json.TryGetProperty("type", out var type) ? type.GetString() : null,
            json.TryGetProperty("detail", out var detail) ? detail.GetString() : null);
    }
}
