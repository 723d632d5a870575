using Platform.Messaging.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Platform.Messaging.Tests.Integration;

/// <summary>RabbitMQ stopped for over a minute under running services, which must ride it out without a restart.</summary>
[Collection(ServersCollection.Name)]
public sealed class BrokerOutageTests(Servers servers, ITestOutputHelper output)
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

    [IntegrationEvent("msgtest.outage.payment-taken")]
    public sealed record PaymentTaken : TestEvent;
}
