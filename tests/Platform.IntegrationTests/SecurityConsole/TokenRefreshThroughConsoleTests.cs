using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Npgsql;

namespace Platform.IntegrationTests.SecurityConsole;

/// <summary>
/// The console keeps its session's token fresh (issue 19 item 1, the console's <c>TokenRefresher</c>). With the
/// platform fixture's lifetimes a console token is refreshed about 20 s after each grant: the keys page keeps
/// answering until identity records the session's console refresh token as redeemed (rotated), and after. Once the
/// password is changed from another browser (which ends the other sessions and revokes their refresh tokens), the
/// next refresh is refused and the keys page leads to identity's sign-in.
/// </summary>
[Collection(Collections.Console)]
public sealed class TokenRefreshThroughConsoleTests(PlatformFixture fixture)
{
    private const string NewPassword = "another passphrase for the refresh 9";

    /// <summary>The first refresh is due 20 s after the grant; a busy two-core machine gets the rest.</summary>
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(90);

    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task The_keys_page_keeps_working_across_a_refresh_and_ends_in_sign_in_once_the_refresh_is_refused()
    {
        var owner = await ConsoleUser.SignedUpAsync(fixture, "Refresh");
        // Keys need a second factor within 15 minutes (through refreshes too).
        await owner.EnrolTotpAndStepUpAsync();
        var keys = $"/console/o/{owner.OrganizationId}/keys";
        await AssertKeysPageAsync(owner, keys);
        // The session's grant: one live console refresh token, none used yet (the query below finds it).
        var statuses = await ConsoleRefreshTokensAsync(owner.Email);
        Assert.Equal(1, statuses.GetValueOrDefault("valid"));
        Assert.False(statuses.ContainsKey("redeemed"));

        // Page after page (each a 200 on the keys page, never a redirect) until the console has redeemed its token.
        var elapsed = Stopwatch.StartNew();
        var loads = 1;
        while (!(await ConsoleRefreshTokensAsync(owner.Email)).ContainsKey("redeemed"))
        {
            Assert.True(elapsed.Elapsed < Bound, $"The console's refresh token was not redeemed within {Bound.TotalSeconds} s ({loads} loads of the keys page).");
            await Task.Delay(Poll);
            await AssertKeysPageAsync(owner, keys);
            loads++;
        }

        // The page goes on with the rotated pair: the new refresh token is the session's live one.
        await AssertKeysPageAsync(owner, keys);
        Assert.Equal(1, (await ConsoleRefreshTokensAsync(owner.Email)).GetValueOrDefault("valid"));

        // The password changed from another browser: every other session of the person ends, its refresh tokens revoked.
        using var elsewhere = await owner.SignedInElsewhereAsync(fixture);
        using (var changed = await elsewhere.PostAsJsonAsync("/v1/me/password", new { currentPassword = ConsoleUser.Password, newPassword = NewPassword }))
        {
            Assert.Equal(HttpStatusCode.OK, changed.StatusCode);
        }

        Assert.False((await ConsoleRefreshTokensAsync(owner.Email)).ContainsKey("valid"));

        // The keys page works until the console's next refresh, which identity refuses: the console session ends and
        // the browser is sent to sign in (its identity session ended too), nothing of the organization shown.
        elapsed.Restart();
        while (true)
        {
            var page = await owner.GetAsync(keys);
            if (page.Address.AbsolutePath == "/signin")
            {
                Assert.Equal(200, page.Status);
                Assert.DoesNotContain(owner.OrganizationId!, page.Html);
                break;
            }

            Assert.Equal(200, page.Status);
            Assert.Equal(keys, page.Address.AbsolutePath);
            Assert.True(elapsed.Elapsed < Bound, $"The keys page still opened {Bound.TotalSeconds} s after the password change.");
            await Task.Delay(Poll);
        }

        // Signed in again with the new password (and a second factor), the console opens a new session.
        using (var signIn = await owner.Browser.PostAsJsonAsync("/v1/session", new { email = owner.Email, password = NewPassword }))
        {
            Assert.Equal("mfa-required", (await signIn.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("status").GetString());
        }

        await owner.StepUpAsync();
        await AssertKeysPageAsync(owner, keys);
    }

    private static async Task AssertKeysPageAsync(ConsoleUser owner, string keys)
    {
        var page = await owner.GetAsync(keys);
        Assert.Equal(200, page.Status);
        Assert.Equal(keys, page.Address.AbsolutePath);
        Assert.Contains("id=\"no-keys\"", page.Html);
    }

    /// <summary>The person's console refresh tokens at identity, counted by status (OpenIddict stores RFC 8693's token type URIs).</summary>
    private async Task<Dictionary<string, int>> ConsoleRefreshTokensAsync(string email)
    {
        await using var connection = new NpgsqlConnection(fixture.App.GetConnectionString("identitydb"));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(
            """
            SELECT t."Status", count(*)::int FROM oidc."OpenIddictTokens" t
              JOIN oidc."OpenIddictApplications" a ON a."Id" = t."ApplicationId"
              JOIN users u ON u.id = t."Subject"
             WHERE a."ClientId" = 'platform-console' AND t."Type" = 'urn:ietf:params:oauth:token-type:refresh_token' AND u.email = $1
             GROUP BY t."Status"
            """, connection);
        command.Parameters.AddWithValue(email);
        var statuses = new Dictionary<string, int>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync();
        while (await reader.ReadAsync()) statuses[reader.GetString(0)] = reader.GetInt32(1);
        return statuses;
    }
}
