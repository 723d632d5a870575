using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using OtpNet;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Issue 14, class 3: TOTP ground down. The attacker knows the victim's password (or many victims' passwords) and
/// guesses second factors; a correct password must not clear the count, and one address is counted across accounts.
/// Through the gateway over HTTPS; the attacker and each victim come from client addresses of their own.
/// </summary>
[Collection(Collections.Platform)]
public sealed class MfaAttacks(PlatformFixture fixture)
{
    private const string Problems = "https://platform.dev/problems/";

    private async Task<IdentityUser> VictimAsync()
    {
        var (victim, _) = await IdentityUser.OwnerAsync(fixture, ClientAddresses.Handler(fixture, ClientAddresses.Fresh()));
        await victim.EnrolTotpAsync();
        return victim;
    }

    /// <summary>A well-formed code that is not valid now (nor one step either side).</summary>
    private static string WrongCode(byte[] secret)
    {
        // The identity service under test runs on the real clock, as an authenticator app does: codes are for now.
        var now = TimeProvider.System.GetUtcNow().UtcDateTime;
        var valid = new[] { -30, 0, 30 }.Select(s => new Totp(secret).ComputeTotp(now.AddSeconds(s))).ToHashSet();
        string code;
        do code = Random.Shared.Next(0, 1_000_000).ToString("D6", System.Globalization.CultureInfo.InvariantCulture);
        while (valid.Contains(code));
        return code;
    }

    private static async Task PasswordAsync(HttpClient browser, IdentityUser victim)
    {
        using var signIn = await browser.PostAsJsonAsync("/v1/session", new { email = victim.Email, password = IdentityUser.Password });
        Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        Assert.Equal("mfa-required", (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    private static async Task<(HttpStatusCode Status, string? Type, TimeSpan? RetryAfter)> CodeAsync(HttpClient browser, string code)
    {
        using var response = await browser.PostAsJsonAsync("/v1/session/mfa", new { code });
        var text = await response.Content.ReadAsStringAsync();
        var type = text.Length > 0 && JsonDocument.Parse(text).RootElement.TryGetProperty("type", out var t) ? t.GetString() : null;
        return (response.StatusCode, type, response.Headers.RetryAfter?.Delta);
    }

    [Fact]
    public async Task Grinding_TOTP_with_the_password_in_between_locks_the_second_factor()
    {
        var victim = await VictimAsync();
        using var attacker = ClientAddresses.Browser(fixture, ClientAddresses.Fresh());

        // Password + 4 wrong codes, three times: 12 guesses if the password cleared the count.
        var outcomes = new List<(HttpStatusCode Status, string? Type, TimeSpan? RetryAfter)>();
        for (var round = 0; round < 3; round++)
        {
            await PasswordAsync(attacker, victim);
            for (var guess = 0; guess < 4; guess++) outcomes.Add(await CodeAsync(attacker, WrongCode(victim.TotpSecret!)));
        }

        Assert.All(outcomes.Take(4), o => Assert.Equal((HttpStatusCode.Unauthorized, Problems + "invalid-code"), (o.Status, o.Type)));
        Assert.All(outcomes.Skip(4), o => Assert.Equal((HttpStatusCode.TooManyRequests, Problems + "mfa-locked"), (o.Status, o.Type)));
        Assert.All(outcomes.Skip(4), o => Assert.True(o.RetryAfter > TimeSpan.Zero, "no Retry-After"));

        // Locked means locked: even the right code is not checked, after yet another correct password.
        await PasswordAsync(attacker, victim);
        var right = await CodeAsync(attacker, new Totp(victim.TotpSecret!).ComputeTotp(TimeProvider.System.GetUtcNow().UtcDateTime));
        Assert.Equal((HttpStatusCode.TooManyRequests, Problems + "mfa-locked"), (right.Status, right.Type));
    }

    [Fact]
    public async Task Wrong_codes_from_one_address_are_counted_across_accounts()
    {
        // Six victims whose passwords the attacker has; four wrong codes each stays under every account's own lock.
        var victims = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ => VictimAsync()));
        var address = ClientAddresses.Fresh();
        var outcomes = new List<(HttpStatusCode Status, string? Type, TimeSpan? RetryAfter)>();
        foreach (var victim in victims)
        {
            using var attacker = ClientAddresses.Browser(fixture, address);
            await PasswordAsync(attacker, victim);
            for (var guess = 0; guess < 4; guess++) outcomes.Add(await CodeAsync(attacker, WrongCode(victim.TotpSecret!)));
        }

        // Twenty wrong codes from the address, then it is refused whatever the account.
        Assert.All(outcomes.Take(20), o => Assert.Equal(HttpStatusCode.Unauthorized, o.Status));
        Assert.All(outcomes.Skip(20), o => Assert.Equal((HttpStatusCode.TooManyRequests, Problems + "too-many-attempts"), (o.Status, o.Type)));
        Assert.All(outcomes.Skip(20), o => Assert.True(o.RetryAfter > TimeSpan.Zero, "no Retry-After"));

        // The last victim, from their own address, is not locked out by the attacker's address.
        var last = victims[^1];
        using (var signIn = await last.Browser.PostAsJsonAsync("/v1/session", new { email = last.Email, password = IdentityUser.Password }))
        {
            Assert.Equal(HttpStatusCode.OK, signIn.StatusCode);
        }

        await last.StepUpAsync();
    }
}
