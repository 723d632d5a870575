using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Service;

/// <summary>
/// A reset request for an unknown address does the same database work as for a known one (no enumeration by timing):
/// compared statement by statement from the Npgsql traces of each request, not by a stopwatch.
/// </summary>
[Collection(IdentityCollection.Name)]
public sealed class ResetRequestWorkTests(IdentityFixture fixture)
{
    [Fact]
    public async Task A_reset_request_runs_the_same_statements_and_writes_one_mail_for_known_and_unknown_addresses()
    {
        var known = await TestUser.CreateAsync(fixture);
        var unknown = TestUser.NewEmail("nobody");

        var (knownStatements, knownMails) = await RequestAsync(known.Email);
        var (unknownStatements, unknownMails) = await RequestAsync(unknown);

        Assert.Contains(knownStatements, s => s.StartsWith("INSERT INTO user_tokens", StringComparison.Ordinal));
        Assert.Contains(knownStatements, s => s.StartsWith("INSERT INTO outgoing_mail", StringComparison.Ordinal));
        Assert.Equal(knownStatements, unknownStatements);
        Assert.Equal((1, 1), (knownMails, unknownMails));

        // The owner of a known address gets the code; an unknown address gets a notice without one.
        IdentityFixture.CodeIn(await fixture.MailToAsync(known.Email, "Reset your password"));
        var notice = await fixture.MailToAsync(unknown, "without an account");
        Assert.DoesNotContain(notice.Split('\n'), l => l.Trim().Length == 43 && l.Trim().All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
    }

    private async Task<(IReadOnlyList<string> Statements, long Mails)> RequestAsync(string email)
    {
        var statements = new ConcurrentQueue<(DateTime Start, string Text)>();
        using var root = new Activity("reset-request-test").SetIdFormat(ActivityIdFormat.W3C).Start();
        var traceId = root.TraceId;
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name is "Npgsql" or "Microsoft.AspNetCore",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.Source.Name != "Npgsql" || activity.TraceId != traceId) return;
                var text = activity.GetTagItem("db.query.text") ?? activity.GetTagItem("db.statement");
                if (text is string sql) statements.Enqueue((activity.StartTimeUtc, sql.Trim()));
            },
        };
        ActivitySource.AddActivityListener(listener);
        var before = await MailsToAsync(email);

        using var client = fixture.Client();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/accounts/password-reset") { Content = JsonContent.Create(new { email }) };
        request.Headers.Add("traceparent", root.Id);
        Assert.Equal(HttpStatusCode.Accepted, (await client.SendAsync(request)).StatusCode);
        root.Stop();

        // The per-IP throttle runs before the address is looked at, and one request in fifty purges old windows of both
        // throttles (ip_throttle and mfa_address_failures): neither depends on the address, so neither is compared.
        var texts = statements.OrderBy(s => s.Start).Select(s => s.Text)
            .Where(s => !s.Contains("ip_throttle", StringComparison.Ordinal)
                && !s.StartsWith("DELETE FROM mfa_address_failures", StringComparison.Ordinal)
                && !s.StartsWith("SELECT count(*) FROM outgoing_mail", StringComparison.Ordinal))
            .ToList();
        Assert.NotEmpty(texts);
        return (texts, await MailsToAsync(email) - before);
    }

    private async Task<long> MailsToAsync(string email)
    {
        await using var command = fixture.Database.CreateCommand("SELECT count(*) FROM outgoing_mail WHERE recipient = $1");
        command.Parameters.AddWithValue(email);
        return (long)(await command.ExecuteScalarAsync())!;
    }
}
