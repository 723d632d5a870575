using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// Wrong second factors are counted on their own (issue 14): per account, where a correct password clears nothing,
/// with a doubling lock; and per client address, across accounts. Reset completion is throttled before hashing.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class MfaThrottlingTests(IdentityFixture fixture)
{
    private const string MfaLocked = "https://platform.dev/problems/mfa-locked";

    private static Task<HttpResponseMessage> MfaAsync(HttpClient client, string code) => client.PostAsJsonAsync("/v1/session/mfa", new { code });

    private static async Task PasswordAsync(HttpClient client, TestUser user)
    {
        var signIn = await client.PostAsJsonAsync("/v1/session", new { email = user.Email, password = user.Password });
        Assert.Equal("mfa-required", (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Password_and_wrong_codes_repeated_lock_the_second_factor_because_the_password_clears_nothing()
    {
        var user = await TestUser.CreateAsync(fixture);
        await user.EnrolTotpAsync();
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(30));

        // Each round from a new address, so that only the account's own counter can stop it.
        var outcomes = new List<(HttpStatusCode, string?)>();
        for (var round = 0; round < 3 && !outcomes.Any(o => o.Item2 == MfaLocked); round++)
        {
            var attacker = fixture.Client();
            await PasswordAsync(attacker, user);
            for (var guess = 0; guess < IdentityFixture.MfaThreshold - 1; guess++)
            {
                var problem = await (await MfaAsync(attacker, user.WrongCode())).ProblemAsync();
                outcomes.Add((problem.Status, problem.Type));
            }
        }

        // The fifth wrong code (in the second round, after a correct password) locks; nothing more is checked.
        Assert.Equal(IdentityFixture.MfaThreshold, outcomes.Count(o => o.Item1 == HttpStatusCode.Unauthorized) + 1);
        Assert.Equal((HttpStatusCode.TooManyRequests, MfaLocked), outcomes[IdentityFixture.MfaThreshold - 1]);
        var owner = fixture.Client();
        await PasswordAsync(owner, user);
        var locked = await MfaAsync(owner, user.Code());
        var lockedProblem = await locked.ProblemAsync();
        Assert.Equal((HttpStatusCode.TooManyRequests, MfaLocked), (lockedProblem.Status, lockedProblem.Type));
        Assert.True(locked.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.mfa.locked" && e.GetProperty("target").GetString() == user.Id);

        // Back-off: after the first lock (1 min) one more wrong code locks for 2 minutes.
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(61));
        Assert.Equal(MfaLocked, (await (await MfaAsync(owner, user.WrongCode())).ProblemAsync()).Type);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(61));
        Assert.Equal(MfaLocked, (await (await MfaAsync(owner, user.Code())).ProblemAsync()).Type);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await MfaAsync(owner, user.Code())).StatusCode);
    }

    [Fact]
    public async Task Wrong_codes_from_one_address_are_counted_across_accounts()
    {
        var ip = $"198.51.100.{Random.Shared.Next(1, 255)}";
        var users = new List<TestUser>();
        for (var i = 0; i < 3; i++)
        {
            var user = await TestUser.CreateAsync(fixture);
            await user.EnrolTotpAsync();
            users.Add(user);
        }

        await fixture.AdvanceAsync(TimeSpan.FromSeconds(30));
        // Three wrong codes per account (below the account threshold), all from one address.
        var statuses = new List<HttpStatusCode>();
        foreach (var user in users)
        {
            var attacker = fixture.Client(ip);
            await PasswordAsync(attacker, user);
            for (var guess = 0; guess < 3; guess++) statuses.Add((await MfaAsync(attacker, user.WrongCode())).StatusCode);
        }

        Assert.Equal(Enumerable.Repeat(HttpStatusCode.Unauthorized, IdentityFixture.MfaFailuresPerIp), statuses.Take(IdentityFixture.MfaFailuresPerIp));
        var refused = statuses.Skip(IdentityFixture.MfaFailuresPerIp).ToList();
        Assert.NotEmpty(refused);
        Assert.All(refused, status => Assert.Equal(HttpStatusCode.TooManyRequests, status));

        // Even the right code is not checked from that address; from another one (the user's own) it works.
        var fromAttacker = fixture.Client(ip);
        await PasswordAsync(fromAttacker, users[0]);
        var problem = await (await MfaAsync(fromAttacker, users[0].Code())).ProblemAsync();
        Assert.Equal((HttpStatusCode.TooManyRequests, "https://platform.dev/problems/too-many-attempts"), (problem.Status, problem.Type));
        var fromOwner = fixture.Client();
        await PasswordAsync(fromOwner, users[0]);
        Assert.Equal(HttpStatusCode.OK, (await MfaAsync(fromOwner, users[0].Code())).StatusCode);
    }

    [Fact]
    public async Task Completing_a_password_reset_is_throttled_per_address_before_the_new_password_is_hashed()
    {
        var client = fixture.Client();
        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i <= IdentityFixture.IpLimit; i++)
        {
            // Well-formed codes that match nothing, with a strong new password: each would cost an Argon2id hash.
            var token = System.Buffers.Text.Base64Url.EncodeToString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32));
            statuses.Add((await client.PostAsJsonAsync("/v1/accounts/password-reset/complete", new { token, password = "a brand new passphrase 9" })).StatusCode);
        }

        Assert.All(statuses.Take(IdentityFixture.IpLimit), status => Assert.Equal(HttpStatusCode.BadRequest, status));
        Assert.Equal(HttpStatusCode.TooManyRequests, statuses[^1]);
    }
}
