using Npgsql;
using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Integration;

/// <summary>
/// An event whose type must be routed (<see cref="IntegrationEventAttribute.MustBeRouted"/>, as audit events are) is
/// not lost when it is published before its consumer's queue exists: it counts as not published, and goes out once
/// the queue is there. Other events keep the topic exchange's rule: no queue, no message.
/// </summary>
[Collection(ServersCollection.Name)]
public sealed class RoutingTests(Servers servers)
{
    [Fact]
    public async Task A_direct_publish_that_no_queue_takes_fails_and_succeeds_once_the_consumer_is_there()
    {
        await using var publisher = await TestService.StartAsync(servers, await servers.CreateDatabaseAsync(), TestService.UniqueName("sealer"),
            bus => { }, consumes: false);

        var early = new LedgerSealed { Subject = "before any consumer" };
        var refused = await Assert.ThrowsAsync<EventPublishException>(() => publisher.Publisher.PublishAsync(early, CancellationToken.None));
        Assert.Equal([early.Id], refused.FailedEventIds);

        // The same publisher, an event type nobody must receive: accepted and dropped, as before.
        await publisher.Publisher.PublishAsync(new LedgerOpened { Subject = "nobody listens" }, CancellationToken.None);

        await using var consumer = await TestService.StartAsync(servers, await servers.CreateDatabaseAsync(), TestService.UniqueName("ledger"),
            bus => bus.WithInbox().AddSubscription<LedgerSealed, RecordingHandler<LedgerSealed>>());
        await publisher.Publisher.PublishAsync(early, CancellationToken.None);
        await consumer.WaitUntilAppliedAsync(early.Id);
    }

    [Fact]
    public async Task An_outbox_row_that_no_queue_takes_stays_unsent_and_is_delivered_once_the_consumer_is_there()
    {
        var publisherDatabase = await servers.CreateDatabaseAsync();
        await using var publisher = await TestService.StartAsync(servers, publisherDatabase, TestService.UniqueName("closer"),
            bus => bus.AddOutbox(), consumes: false);

        var sealedEarly = new LedgerClosed { Subject = "before any consumer" };
        await publisher.EnqueueAsync(sealedEarly);
        await Eventually.HoldsAsync(
            async () => await LastErrorAsync(publisherDatabase, sealedEarly.Id) is not null,
            TimeSpan.FromSeconds(20),
            "the relay to try the row and record why it failed",
            publisher.Logs.Dump);
        Assert.Null(await SentAtAsync(publisherDatabase, sealedEarly.Id));
        Assert.Contains("Return", await LastErrorAsync(publisherDatabase, sealedEarly.Id), StringComparison.OrdinalIgnoreCase);

        await using var consumer = await TestService.StartAsync(servers, await servers.CreateDatabaseAsync(), TestService.UniqueName("archive"),
            bus => bus.WithInbox().AddSubscription<LedgerClosed, RecordingHandler<LedgerClosed>>());

        await consumer.WaitUntilAppliedAsync(sealedEarly.Id);
        Assert.NotNull(await SentAtAsync(publisherDatabase, sealedEarly.Id));
    }

    private static async Task<DateTimeOffset?> SentAtAsync(string database, string eventId) =>
        await ScalarAsync(database, "SELECT sent_at FROM outbox WHERE event_id = @id", eventId) as DateTimeOffset?;

    private static async Task<string?> LastErrorAsync(string database, string eventId) =>
        await ScalarAsync(database, "SELECT last_error FROM outbox WHERE event_id = @id", eventId) as string;

    private static async Task<object?> ScalarAsync(string database, string sql, string eventId)
    {
        await using var dataSource = NpgsqlDataSource.Create(database);
        await using var command = dataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("id", eventId);
        var value = await command.ExecuteScalarAsync();
        return value is DBNull ? null : value is DateTime time ? new DateTimeOffset(time, TimeSpan.Zero) : value;
    }

    [IntegrationEvent("msgtest.routing.ledger-sealed", MustBeRouted = true)]
    public sealed record LedgerSealed : TestEvent;

    [IntegrationEvent("msgtest.routing.ledger-closed", MustBeRouted = true)]
    public sealed record LedgerClosed : TestEvent;

    [IntegrationEvent("msgtest.routing.ledger-opened")]
    public sealed record LedgerOpened : TestEvent;
}
