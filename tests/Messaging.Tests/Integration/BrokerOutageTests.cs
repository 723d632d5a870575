using System.Diagnostics;
using Platform.Messaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Platform.Messaging.Tests.Integration;

/// <summary>
/// RabbitMQ stopped for over a minute under running services, which must ride it out without a restart, and down when a
/// service starts.
/// </summary>
[Collection(BrokerCollection.Name)]
public sealed class BrokerOutageTests(BrokerServers servers, ITestOutputHelper output)
{
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(65);

    /// <summary>
    /// Both cases in one outage, the suite's longest wait: services already running ride it out, and a service started
    /// while the broker is down uses it once it is back.
    /// </summary>
    [Fact]
    public async Task Over_a_minute_without_RabbitMQ_running_services_and_one_started_meanwhile_recover_and_an_event_committed_in_it_arrives_exactly_once()
    {
        var consumerDatabase = await servers.CreateDatabaseAsync();
        var publisherDatabase = await servers.CreateDatabaseAsync();
        var lateDatabase = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, consumerDatabase, TestService.UniqueName("ledger"),
            bus => bus.WithInbox().AddSubscription<PaymentTaken, RecordingHandler<PaymentTaken>>());
        await using var publisher = await TestService.StartAsync(servers, publisherDatabase, TestService.UniqueName("payments"),
            bus => bus.AddOutbox(), consumes: false);
        var before = new PaymentTaken { Subject = "before the outage" };
        await publisher.EnqueueAsync(before);
        await consumer.WaitUntilAppliedAsync(before.Id);

        await servers.App.StopResourceAsync("messaging");
        var outage = Stopwatch.StartNew();
        var during = new PaymentTaken { Subject = "committed during the outage" };
        TestService? late = null;
        try
        {
            try
            {
                await publisher.EnqueueAsync(during);
                await Assert.ThrowsAsync<EventPublishException>(() =>
                    publisher.Publisher.PublishAsync(new PaymentTaken { Subject = "direct, during the outage" }, CancellationToken.None));

                late = await TestService.StartAsync(servers, lateDatabase, TestService.UniqueName("late"),
                    _ => { },
                    // One attempt per caller, so that the failure comes at once.
                    settings: new Dictionary<string, string?> { ["Aspire:RabbitMQ:Client:MaxConnectRetryCount"] = "0" },
                    consumes: false);
                await Assert.ThrowsAnyAsync<Exception>(() => late.Publisher.PublishAsync(new Late { Subject = "while down" }, CancellationToken.None));

                if (Outage - outage.Elapsed is { Ticks: > 0 } rest) await Task.Delay(rest);
                Assert.True(publisher.Logs.Any(2120), "failed relay attempts are logged");
                Assert.True(consumer.Logs.Any(2112), "the consumer reports the lost connection");
                Assert.Equal(0, await AppliedEvents.CountAsync(consumer.DataSource, during.Id));
            }
            finally
            {
                await servers.App.StartResourceAsync("messaging");
            }

            await consumer.WaitUntilAppliedAsync(during.Id, TimeSpan.FromSeconds(45));
            var direct = new PaymentTaken { Subject = "direct, after the outage" };
            await Eventually.HoldsAsync(() => PublishedAsync(publisher, direct), TimeSpan.FromSeconds(20), "a direct publish to be confirmed again", publisher.Logs.Dump);
            await consumer.WaitUntilAppliedAsync(direct.Id);
            Assert.Equal(1, await AppliedEvents.CountAsync(consumer.DataSource, during.Id));
            Assert.Equal(1, await AppliedEvents.CountAsync(consumer.DataSource, before.Id));

            // A remembered failure would fail every publish from now on; a new attempt per caller succeeds.
            await Eventually.HoldsAsync(() => PublishedAsync(late, new Late { Subject = "after the restart" }), TimeSpan.FromSeconds(30),
                "a publish of the service started during the outage to be confirmed once RabbitMQ is back", late.Logs.Dump);
        }
        finally
        {
            // Also when an assertion inside the outage failed: the late service must not outlive the test.
            if (late is not null) await late.DisposeAsync();
        }

        output.WriteLine($"consumer:{Environment.NewLine}{consumer.Logs.Dump()}{Environment.NewLine}publisher:{Environment.NewLine}{publisher.Logs.Dump()}");
    }

    private static async Task<bool> PublishedAsync(TestService service, TestEvent message)
    {
        try
        {
            await service.Publisher.PublishAsync(message, CancellationToken.None);
            return true;
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            return false;
        }
    }

    [IntegrationEvent("msgtest.outage.payment-taken")]
    public sealed record PaymentTaken : TestEvent;

    [IntegrationEvent("msgtest.outage.late")]
    public sealed record Late : TestEvent;
}
