using System.Collections.Concurrent;

namespace Platform.IntegrationTests;

/// <summary>
/// SPEC GW-AUDIT, AUD-INGEST: no audit entry is lost when RabbitMQ, a gateway replica or the audit service goes away.
/// These stop or kill parts of the platform, so they run alone, after every other collection (<see cref="Collections.Outages"/>).
/// </summary>
[Collection(Collections.Outages)]
public sealed class AuditOutageTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public async Task No_audit_entry_is_lost_when_RabbitMQ_restarts_in_the_middle()
    {
        var marker = $"/audit-restart-{Guid.NewGuid():n}";
        var since = DateTimeOffset.UtcNow.AddSeconds(-5);
        var ids = await app.SendAsync(marker, 500);

        await app.StopResourceAsync("messaging");
        try
        {
            // The gateway keeps answering while the broker is away: the events wait in its spool.
            foreach (var id in await app.SendAsync(marker, 500)) ids.Add(id);
        }
        finally
        {
            await app.StartResourceAsync("messaging");
        }

        await app.AssertAuditedExactlyOnceAsync(marker, since, ids);
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
            ids = await app.SendAsync(marker, 200);
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

        await app.AssertAuditedExactlyOnceAsync(marker, since, ids);
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

            ids = await app.SendAsync(marker, 200);
            // Long enough for the spool to have tried, been refused and kept them.
            await Task.Delay(TimeSpan.FromSeconds(2));
        }
        finally
        {
            // The audit service declares its queue and bindings again as it starts.
            await app.StartResourceAsync("audit");
        }

        await app.AssertAuditedExactlyOnceAsync(marker, since, ids);
    }
}
