using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.IntegrationTests;

/// <summary>SPEC GW-ID, GW-AUDIT, AUD-INGEST, AUD-QUERY through the gateway over HTTPS, as a client sees them.</summary>
[Collection(PlatformCollection.Name)]
public sealed class AuditTrailTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task Every_response_carries_a_request_id_and_a_client_cannot_choose_it()
    {
        using var client = app.CreateHttpClient("gateway");
        using var plain = await client.GetAsync("/.well-known/security.txt");
        Assert.Matches("^req_[0-9a-f]{32}$", plain.Headers.GetValues("X-Request-Id").Single());

        // A client is not a trusted hop: even a well-formed id of its own is replaced, and so is an odd one.
        foreach (var offered in new[] { "my-own-id-123", "evil<script>\"", new string('a', 500) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/security.txt");
            request.Headers.TryAddWithoutValidation("X-Request-Id", offered);
            using var response = await client.SendAsync(request);
            var id = response.Headers.GetValues("X-Request-Id").Single();
            Assert.NotEqual(offered, id);
            Assert.Matches("^req_[0-9a-f]{32}$", id);
        }
    }

    [Fact]
    public async Task Reading_the_audit_log_needs_a_reader_credential()
    {
        using var client = app.CreateHttpClient("gateway");
        using var anonymous = await client.GetAsync("/v1/audit/events");
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        Assert.Equal("application/problem+json", anonymous.Content.Headers.ContentType?.MediaType);

        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", "not-the-token-but-long-enough-to-look-real");
        using var wrong = await client.GetAsync("/v1/audit/events");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
    }

    [Theory]
    [InlineData("limit=0")]
    [InlineData("limit=abc")]
    [InlineData("from=yesterday")]
    [InlineData("ip=999.1.1.1")]
    [InlineData("cursor=%%%")]
    [InlineData("colour=blue")]
    public async Task Malformed_audit_queries_get_a_400_problem(string query)
    {
        using var client = app.AuditReader();
        using var response = await client.GetAsync($"/v1/audit/events?{query}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("https://platform.dev/problems/invalid-query", problem.GetProperty("type").GetString());
    }

    [Fact]
    public async Task A_thousand_requests_give_exactly_a_thousand_audit_entries_with_their_request_ids()
    {
        var marker = $"/audit-e2e-{Guid.NewGuid():n}";
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var ids = await SendAsync(marker, 1000);

        await AssertAuditedExactlyOnceAsync(marker, since, ids);
    }

    [Fact]
    public async Task No_audit_entry_is_lost_when_RabbitMQ_restarts_in_the_middle()
    {
        var marker = $"/audit-restart-{Guid.NewGuid():n}";
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var ids = await SendAsync(marker, 500);

        await app.StopResourceAsync("messaging");
        try
        {
            // The gateway keeps answering while the broker is away: the events wait in its spool.
            foreach (var id in await SendAsync(marker, 500)) ids.Add(id);
        }
        finally
        {
            await app.StartResourceAsync("messaging");
        }

        await AssertAuditedExactlyOnceAsync(marker, since, ids);
    }

    [Fact]
    public async Task Spooled_audit_events_survive_a_gateway_crash_while_RabbitMQ_is_down_and_the_gateway_is_restarted()
    {
        var marker = $"/audit-crash-{Guid.NewGuid():n}";
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        ConcurrentBag<string> ids;
        await app.StopResourceAsync("messaging");
        try
        {
            ids = await SendAsync(marker, 200);
            // Answered requests reach the spool file within milliseconds; then the gateway dies without warning.
            await Task.Delay(TimeSpan.FromSeconds(1));
            var killed = app.KillReplica("gateway");

            // The AppHost notices the crash and starts that replica again (its supervisor's restart policy).
            var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
            while (true)
            {
                var running = app.ReplicaProcessIds("gateway");
                if (running.Count == 2 && !running.Contains(killed))
                {
                    var healthy = 0;
                    for (var replica = 0; replica < 2; replica++)
                    {
                        using var health = new HttpClient { BaseAddress = app.GetEndpoint("gateway", "internal", replica), Timeout = TimeSpan.FromSeconds(2) };
                        try
                        {
                            using var response = await health.GetAsync("/health");
                            if (response.IsSuccessStatusCode) healthy++;
                        }
                        catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
                        {
                        }
                    }

                    if (healthy == 2) break;
                }

                Assert.True(DateTimeOffset.UtcNow < deadline, $"the gateway replica (pid {killed} killed) did not come back");
                await Task.Delay(200);
            }
        }
        finally
        {
            await app.StartResourceAsync("messaging");
        }

        await AssertAuditedExactlyOnceAsync(marker, since, ids);
    }

    [Fact]
    public async Task Audit_events_published_while_the_audit_queue_does_not_exist_are_kept_until_it_does()
    {
        var marker = $"/audit-no-queue-{Guid.NewGuid():n}";
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        // As on a fresh broker, or a new deployment where the gateway starts before the audit service: nothing is
        // bound for audit events, and a topic exchange drops what nobody is bound for.
        await app.StopResourceAsync("audit");
        ConcurrentBag<string> ids;
        try
        {
            await using (var connection = await new RabbitMQ.Client.ConnectionFactory { Uri = new Uri(app.GetConnectionString("messaging")) }.CreateConnectionAsync())
            await using (var channel = await connection.CreateChannelAsync())
            {
                await channel.QueueDeleteAsync("audit", ifUnused: false, ifEmpty: false);
            }

            ids = await SendAsync(marker, 200);
            // Long enough for the spool to have tried, been refused and kept them.
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        finally
        {
            // The audit service declares its queue and bindings again as it starts.
            await app.StartResourceAsync("audit");
        }

        await AssertAuditedExactlyOnceAsync(marker, since, ids);
    }

    private async Task<ConcurrentBag<string>> SendAsync(string marker, int count)
    {
        var ids = new ConcurrentBag<string>();
        using var client = app.CreateHttpClient("gateway");
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (n, ct) =>
        {
            using var response = await client.GetAsync($"{marker}/{n}", ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            ids.Add(response.Headers.GetValues("X-Request-Id").Single());
        });
        return ids;
    }

    private async Task AssertAuditedExactlyOnceAsync(string marker, DateTimeOffset since, IReadOnlyCollection<string> ids)
    {
        using var client = app.AuditReader();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
        List<JsonElement> entries;
        do
        {
            entries = await ReadAllAsync(client, since, marker);
            if (entries.Count >= ids.Count) break;
            await Task.Delay(500);
        }
        while (DateTimeOffset.UtcNow < deadline);

        Assert.Equal(ids.Count, entries.Count);
        Assert.Equal(ids.Order(), entries.Select(e => e.GetProperty("requestId").GetString()!).Order());
        var first = entries[0];
        Assert.Equal("http.request", first.GetProperty("action").GetString());
        Assert.Equal("127.0.0.1", first.GetProperty("ip").GetString());
        Assert.Equal("404", first.GetProperty("details").GetProperty("status").GetString());
        Assert.Equal("GET", first.GetProperty("details").GetProperty("method").GetString());
        Assert.True(double.Parse(first.GetProperty("details").GetProperty("latencyMs").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
    }

    /// <summary>Every entry since <paramref name="since"/> for paths under <paramref name="marker"/>, following cursors.</summary>
    private static async Task<List<JsonElement>> ReadAllAsync(HttpClient client, DateTimeOffset since, string marker)
    {
        var entries = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var url = $"/v1/audit/events?action=http.request&limit=500&from={Uri.EscapeDataString(since.ToString("O"))}" + (cursor is null ? "" : $"&cursor={cursor}");
            using var response = await client.GetAsync(url);
            response.EnsureSuccessStatusCode();
            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            entries.AddRange(page.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("target").GetString()!.StartsWith(marker, StringComparison.Ordinal)));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return entries;
    }
}
