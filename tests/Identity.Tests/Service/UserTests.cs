using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Npgsql;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

[Collection(IdentityCollection.Name)]
public sealed class UserTests(IdentityFixture fixture)
{
    [Fact]
    public async Task Sign_up_sends_a_verification_code_and_sign_in_works_only_after_verifying()
    {
        var client = fixture.Client();
        var email = TestUser.NewEmail();
        Assert.Equal(HttpStatusCode.Accepted, (await client.PostAsJsonAsync("/v1/accounts", new { email, password = TestUser.GoodPassword })).StatusCode);
        var before = await (await client.PostAsJsonAsync("/v1/session", new { email, password = TestUser.GoodPassword })).ProblemAsync();
        Assert.Equal((HttpStatusCode.Forbidden, "https://platform.dev/problems/email-not-verified"), (before.Status, before.Type));

        var code = IdentityFixture.CodeIn(await fixture.MailToAsync(email, "Verify your email"));
        Assert.Equal(HttpStatusCode.NoContent, (await client.PostAsJsonAsync("/v1/accounts/verify-email", new { token = code })).StatusCode);
        // Single use.
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsJsonAsync("/v1/accounts/verify-email", new { token = code })).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await client.PostAsJsonAsync("/v1/session", new { email, password = TestUser.GoodPassword })).StatusCode);
        var me = await client.GetFromJsonAsync<System.Text.Json.JsonElement>("/v1/me");
        Assert.Equal(email, me.GetProperty("email").GetString());

        // Only the token's hash is stored.
        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM user_tokens WHERE encode(hash, 'escape') LIKE '%' || $1 || '%'");
        command.Parameters.AddWithValue(code);
        Assert.Equal(0L, (long)(await command.ExecuteScalarAsync())!);
    }

    [Theory]
    [InlineData("short-pass", "password", "too short")]
    [InlineData("password123456", "password", "too common")]
    [InlineData("not-an-email", "email", "not a valid email")]
    public async Task Bad_sign_ups_are_refused_with_a_clear_reason_and_create_nothing(string emailOrPassword, string field, string reason)
    {
        var email = field == "email" ? emailOrPassword : TestUser.NewEmail();
        var password = field == "password" ? emailOrPassword : TestUser.GoodPassword;
        var response = await fixture.Client().PostAsJsonAsync("/v1/accounts", new { email, password });
        var problem = await response.ProblemAsync();
        Assert.Equal(HttpStatusCode.BadRequest, problem.Status);
        Assert.Contains(reason, problem.Detail, StringComparison.Ordinal);
        await using var count = fixture.Database.CreateCommand("SELECT count(*) FROM users WHERE email_normalized = lower($1)");
        count.Parameters.AddWithValue(email);
        Assert.Equal(0L, (long)(await count.ExecuteScalarAsync())!);
    }

    [Fact]
    public async Task Oversized_and_unknown_fields_are_refused()
    {
        var client = fixture.Client();
        var huge = await client.PostAsJsonAsync("/v1/accounts", new { email = new string('a', 300) + "@example.com", password = TestUser.GoodPassword });
        Assert.Equal(HttpStatusCode.BadRequest, huge.StatusCode);
        var longPassword = await client.PostAsJsonAsync("/v1/accounts", new { email = TestUser.NewEmail(), password = new string('x', 300) + "abcdefgh" });
        Assert.Equal(HttpStatusCode.BadRequest, longPassword.StatusCode);
        var unknown = await client.PostAsJsonAsync("/v1/accounts", new { email = TestUser.NewEmail(), password = TestUser.GoodPassword, admin = true });
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
    }

    [Fact]
    public async Task Sign_in_and_sign_up_do_not_tell_which_addresses_have_accounts()
    {
        var user = await TestUser.CreateAsync(fixture);
        var wrong = await (await fixture.Client().PostAsJsonAsync("/v1/session", new { email = user.Email, password = "wrong password 123456" })).ProblemAsync();
        var unknown = await (await fixture.Client().PostAsJsonAsync("/v1/session", new { email = TestUser.NewEmail(), password = "wrong password 123456" })).ProblemAsync();
        Assert.Equal(wrong, unknown);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.Status);

        // Signing up again with a taken address answers like a new one; the owner gets a notice instead.
        var again = await fixture.Client().PostAsJsonAsync("/v1/accounts", new { email = user.Email, password = TestUser.GoodPassword });
        Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        await fixture.MailToAsync(user.Email, "Someone tried to sign up");
        var reset = await fixture.Client().PostAsJsonAsync("/v1/accounts/password-reset", new { email = TestUser.NewEmail() });
        Assert.Equal(HttpStatusCode.Accepted, reset.StatusCode);
    }

    [Fact]
    public async Task Unknown_addresses_cost_the_same_password_hash_as_known_ones()
    {
        var user = await TestUser.CreateAsync(fixture);
        async Task<double> Median(string email)
        {
            var times = new List<double>();
            for (var i = 0; i < 3; i++)
            {
                var watch = System.Diagnostics.Stopwatch.StartNew();
                await fixture.Client().PostAsJsonAsync("/v1/session", new { email, password = "wrong password 123456" });
                times.Add(watch.Elapsed.TotalMilliseconds);
            }

            return times.Order().ElementAt(1);
        }

        var known = await Median(user.Email);
        var unknown = await Median(TestUser.NewEmail());
        // Both spend one Argon2id (tens of ms); without the dummy hash the unknown case would be a few ms.
        Assert.True(unknown > known * 0.5, $"unknown {unknown:0} ms vs known {known:0} ms");
        // Reset the counter the wrong guesses left.
        Assert.Equal(HttpStatusCode.OK, (await user.SignInAsync()).StatusCode);
    }

    [Fact]
    public async Task Parallel_wrong_guesses_cannot_get_past_the_lockout_and_the_lock_backs_off()
    {
        var user = await TestUser.CreateAsync(fixture);
        var guesses = Enumerable.Range(0, 20).Select(i =>
            fixture.Client().PostAsJsonAsync("/v1/session", new { email = user.Email, password = $"wrong password {i:D4}x" }));
        var answers = await Task.WhenAll(guesses);
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.Unauthorized, a.StatusCode));

        // Exactly Threshold guesses were checked; the rest were refused unchecked.
        await using var failures = fixture.Database.CreateCommand("SELECT failed_attempts FROM users WHERE id = $1");
        failures.Parameters.AddWithValue(user.Id);
        Assert.Equal(IdentityFixture.Threshold, (int)(await failures.ExecuteScalarAsync())!);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.SignInAsync()).StatusCode);

        await fixture.AdvanceAsync(TimeSpan.FromSeconds(61));
        // One more wrong guess after the lock: locked again, for twice as long.
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Client().PostAsJsonAsync("/v1/session", new { email = user.Email, password = "wrong again 123456" })).StatusCode);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.SignInAsync()).StatusCode);
        await fixture.AdvanceAsync(TimeSpan.FromSeconds(61));
        Assert.Equal(HttpStatusCode.OK, (await user.SignInAsync()).StatusCode);

        var locked = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.account.locked" && e.GetProperty("target").GetString() == user.Id);
        Assert.Equal("success", locked.GetProperty("outcome").GetString());
        var failed = await fixture.Events.WaitForAsync("audit.recorded", e => e.GetProperty("action").GetString() == "identity.sign_in.failed" && e.GetProperty("target").GetString() == user.Id);
        Assert.Contains(failed.GetProperty("details").GetProperty("reason").GetString(), new[] { "wrong-password", "locked" });
        Assert.DoesNotContain(fixture.Events.All, e => e.Body.Contains("wrong password", StringComparison.Ordinal));
    }

    [Fact]
    public async Task One_address_is_throttled_after_its_per_minute_budget()
    {
        var ip = IdentityFixture.NewIp();
        HttpResponseMessage? last = null;
        for (var i = 0; i <= IdentityFixture.IpLimit; i++)
        {
            last = await fixture.Client(ip).PostAsJsonAsync("/v1/session", new { email = "nobody@example.com", password = "wrong password 123456" });
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, last!.StatusCode);
        Assert.True(last.Headers.RetryAfter?.Delta > TimeSpan.Zero);
        // Another address is not affected.
        Assert.Equal(HttpStatusCode.Unauthorized, (await fixture.Client().PostAsJsonAsync("/v1/session", new { email = "nobody@example.com", password = "wrong password 123456" })).StatusCode);
    }

    [Fact]
    public async Task A_sign_in_counts_the_address_and_reads_the_domain_and_the_account_in_one_round_trip()
    {
        // Issue 20 item 4: before the hash, one round trip instead of three; the statements are traced by Npgsql and
        // picked out by the request's trace id.
        var user = await TestUser.CreateAsync(fixture);
        var traceId = ActivityTraceId.CreateRandom();
        var statements = new ConcurrentQueue<string>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name == "Npgsql" && activity.TraceId == traceId)
                    statements.Enqueue($"{activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement")}");
            },
        };
        ActivitySource.AddActivityListener(listener);
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/session") { Content = JsonContent.Create(new { email = user.Email, password = user.Password }) };
        request.Headers.Add("traceparent", $"00-{traceId}-{ActivitySpanId.CreateRandom()}-01");

        Assert.Equal(HttpStatusCode.OK, (await fixture.Client().SendAsync(request)).StatusCode);

        var all = string.Join("\n---\n", statements);
        var first = Assert.Single(statements, s => s.Contains("ip_throttle", StringComparison.Ordinal));
        Assert.True(first.Contains("FROM sso_domains", StringComparison.Ordinal) && first.Contains("FROM users WHERE email_normalized", StringComparison.Ordinal), all);
        Assert.DoesNotContain(statements, s => s != first && (s.Contains("FROM sso_domains", StringComparison.Ordinal) || s.Contains("email_normalized", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Password_reset_uses_a_single_use_code_and_refuses_weak_passwords_without_changing_anything()
    {
        var user = await TestUser.CreateAsync(fixture);
        Assert.Equal(HttpStatusCode.Accepted, (await fixture.Client().PostAsJsonAsync("/v1/accounts/password-reset", new { email = user.Email })).StatusCode);
        var code = IdentityFixture.CodeIn(await fixture.MailToAsync(user.Email, "Reset your password"));

        var weak = await fixture.Client().PostAsJsonAsync("/v1/accounts/password-reset/complete", new { token = code, password = "password1234" });
        Assert.Equal(HttpStatusCode.BadRequest, weak.StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await user.SignInAsync()).StatusCode);

        const string newPassword = "a brand new long passphrase 7";
        Assert.Equal(HttpStatusCode.NoContent, (await fixture.Client().PostAsJsonAsync("/v1/accounts/password-reset/complete", new { token = code, password = newPassword })).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await fixture.Client().PostAsJsonAsync("/v1/accounts/password-reset/complete", new { token = code, password = "yet another passphrase 8" })).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await user.SignInAsync()).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await user.SignInAsync(newPassword)).StatusCode);
    }

    [Fact]
    public async Task Sign_in_rehashes_a_password_stored_with_weaker_parameters()
    {
        var user = await TestUser.CreateAsync(fixture);
        var weak = new Passwords.PasswordHasher(Microsoft.Extensions.Options.Options.Create(new IdentityOptions { Passwords = { MemoryKiB = 8192, Iterations = 1 } })).Hash(user.Password);
        await using (var update = fixture.Database.CreateCommand("UPDATE users SET password_hash = $2 WHERE id = $1"))
        {
            update.Parameters.AddWithValue(user.Id);
            update.Parameters.AddWithValue(weak);
            await update.ExecuteNonQueryAsync();
        }

        Assert.Equal(HttpStatusCode.OK, (await user.SignInAsync()).StatusCode);
        await using var select = fixture.Database.CreateCommand("SELECT password_hash FROM users WHERE id = $1");
        select.Parameters.AddWithValue(user.Id);
        Assert.StartsWith("$argon2id$v=19$m=19456,t=2,p=1$", (string)(await select.ExecuteScalarAsync())!, StringComparison.Ordinal);
    }

    [Fact]
    public async Task No_password_reaches_any_log_line()
    {
        var user = await TestUser.CreateAsync(fixture);
        await fixture.Client().PostAsJsonAsync("/v1/session", new { email = user.Email, password = "leaky-password-canary-991" });
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains("leaky-password-canary-991", StringComparison.Ordinal));
        Assert.DoesNotContain(fixture.Logs.Lines, line => line.Contains(TestUser.GoodPassword, StringComparison.Ordinal));
        Assert.Equal(HttpStatusCode.OK, (await user.SignInAsync()).StatusCode);
    }
}
