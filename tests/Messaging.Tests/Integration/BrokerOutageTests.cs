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

    [Fact]
    public async Task An_event_committed_while_RabbitMQ_is_stopped_arrives_after_it_restarts_exactly_once_and_both_sides_recover()
    {
        var consumerDatabase = await servers.CreateDatabaseAsync();
        var publisherDatabase = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, consumerDatabase, TestService.UniqueName("ledger"),
            bus => bus.WithInbox().AddSubscription<PaymentTaken, RecordingHandler<PaymentTaken>>());
        await using var publisher = await TestService.StartAsync(servers, publisherDatabase, TestService.UniqueName("payments"),
            bus => bus.AddOutbox(), consumes: false);
        var before = new PaymentTaken { Subject = "before the outage" };
        await publisher.EnqueueAsync(before);
        await consumer.WaitUntilAppliedAsync(before.Id);

        await servers.App.StopResourceAsync("messaging");
        var during = new PaymentTaken { Subject = "committed during the outage" };
        await publisher.EnqueueAsync(during);
        await Assert.ThrowsAsync<EventPublishException>(() =>
            publisher.Publisher.PublishAsync(new PaymentTaken { Subject = "direct, during the outage" }, CancellationToken.None));
        await Task.Delay(Outage);
        Assert.True(publisher.Logs.Any(2120), "failed relay attempts are logged");
        Assert.True(consumer.Logs.Any(2112), "the consumer reports the lost connection");
        Assert.Equal(0, await AppliedEvents.CountAsync(consumer.DataSource, during.Id));

        await servers.App.StartResourceAsync("messaging");

        await consumer.WaitUntilAppliedAsync(during.Id, TimeSpan.FromSeconds(45));
        var direct = new PaymentTaken { Subject = "direct, after the outage" };
        await Eventually.HoldsAsync(async () =>
        {
            try
            {
                await publisher.Publisher.PublishAsync(direct, CancellationToken.None);
                return true;
            }
            catch (EventPublishException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "a direct publish to be confirmed again", publisher.Logs.Dump);
        await consumer.WaitUntilAppliedAsync(direct.Id);
        Assert.Equal(1, await AppliedEvents.CountAsync(consumer.DataSource, during.Id));
        Assert.Equal(1, await AppliedEvents.CountAsync(consumer.DataSource, before.Id));
        output.WriteLine($"consumer:{Environment.NewLine}{consumer.Logs.Dump()}{Environment.NewLine}publisher:{Environment.NewLine}{publisher.Logs.Dump()}");
    }

    [Fact]
    public async Task A_broker_that_was_down_at_start_up_is_used_once_it_is_back()
    {
        await servers.App.StopResourceAsync("messaging");
        TestService service;
        try
        {
            service = await TestService.StartAsync(servers, await servers.CreateDatabaseAsync(), TestService.UniqueName("late"),
                _ => { },
                // One attempt per caller, so that the failure comes at once.
                settings: new Dictionary<string, string?> { ["Aspire:RabbitMQ:Client:MaxConnectRetryCount"] = "0" },
                consumes: false);
            await Assert.ThrowsAnyAsync<Exception>(() => service.Publisher.PublishAsync(new Late { Subject = "while down" }, CancellationToken.None));
        }
        finally
        {
            await servers.App.StartResourceAsync("messaging");
        }

        await using (service)
        {
            // A remembered failure would fail every publish from now on; a new attempt per caller succeeds.
            await Eventually.HoldsAsync(async () =>
            {
                try
                {
                    await service.Publisher.PublishAsync(new Late { Subject = "after the restart" }, CancellationToken.None);
                    return true;
                }
                catch (Exception exception) when (exception is not OperationCanceledException)
                {
                    return false;
                }
            }, TimeSpan.FromSeconds(30), "a publish to be confirmed once RabbitMQ is back", service.Logs.Dump);
        }
    }

    [IntegrationEvent("msgtest.outage.payment-taken")]
    public sealed record PaymentTaken : TestEvent;

    [IntegrationEvent("msgtest.outage.late")]
    public sealed record Late : TestEvent;
}
