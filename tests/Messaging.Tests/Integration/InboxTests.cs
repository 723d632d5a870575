using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Integration;

[Collection(ServersCollection.Name)]
public sealed class InboxTests(Servers servers)
{
    [Fact]
    public async Task The_same_event_delivered_twice_is_applied_once()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, database, TestService.UniqueName("inbox"),
            bus => bus.WithInbox().AddSubscription<ItemShipped, RecordingHandler<ItemShipped>>());

        var shipped = new ItemShipped { Subject = "parcel-1" };
        var sentinel = new ItemShipped { Subject = "sentinel" };
        await consumer.Publisher.PublishAsync(shipped, CancellationToken.None);
        await consumer.Publisher.PublishAsync(shipped, CancellationToken.None);
        await consumer.Publisher.PublishAsync(sentinel, CancellationToken.None);

        // One queue, consumed in order: once the sentinel is applied, both copies have been through the consumer.
        await consumer.WaitUntilAppliedAsync(sentinel.Id);
        Assert.Equal(1, await AppliedEvents.CountAsync(consumer.DataSource, shipped.Id));
        Assert.Equal(1, consumer.Probe.CallsFor(shipped.Id));
        Assert.Equal(0u, await RawMessages.CountAsync(servers, consumer.Name));
    }

    [Fact]
    public async Task A_batch_subscription_applies_many_events_per_transaction_and_skips_ids_it_has_seen()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, database, TestService.UniqueName("batch"),
            bus => bus.WithInbox().AddBatchSubscription<ItemCounted, RecordingBatchHandler<ItemCounted>>(maxBatchSize: 100));

        var events = Enumerable.Range(0, 300).Select(i => new ItemCounted { Subject = $"item-{i}" }).ToList();
        await consumer.Publisher.PublishAsync(events, CancellationToken.None);
        await consumer.Publisher.PublishAsync(events.Take(50).ToList(), CancellationToken.None);
        var sentinel = new ItemCounted { Subject = "sentinel" };
        await consumer.Publisher.PublishAsync(sentinel, CancellationToken.None);

        await consumer.WaitUntilAppliedAsync(sentinel.Id);
        Assert.Equal(301, await AppliedEvents.TotalAsync(consumer.DataSource));
        Assert.All(events.Take(50), e => Assert.Equal(1, consumer.Probe.CallsFor(e.Id)));
        Assert.InRange(consumer.Probe.BatchCalls, 3, 150);
    }

    [IntegrationEvent("msgtest.inbox.item-shipped")]
    public sealed record ItemShipped : TestEvent;

    [IntegrationEvent("msgtest.inbox.item-counted")]
    public sealed record ItemCounted : TestEvent;
}
