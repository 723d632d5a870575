using System.Text;
using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Integration;

[Collection(ServersCollection.Name)]
public sealed class DeadLetterTests(Servers servers)
{
    private const string OrderPlacedType = "msgtest.dlq.order-placed";

    [Fact]
    public async Task A_poison_message_is_dead_lettered_with_its_reason_after_the_bounded_attempts_while_later_messages_are_processed()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, database, TestService.UniqueName("poison"),
            bus => bus.WithInbox().AddSubscription<OrderPlaced, RecordingHandler<OrderPlaced>>());

        var poison = new OrderPlaced { Subject = "poison", Poison = true };
        var later = Enumerable.Range(0, 5).Select(i => new OrderPlaced { Subject = $"later-{i}" }).ToList();
        await consumer.Publisher.PublishAsync([poison, .. later], CancellationToken.None);

        foreach (var @event in later)
        {
            await consumer.WaitUntilAppliedAsync(@event.Id);
        }

        DeadLetter? letter = null;
        await Eventually.HoldsAsync(async () =>
        {
            letter = (await consumer.DeadLetters.ListAsync(10, CancellationToken.None)).SingleOrDefault(l => l.MessageId == poison.Id);
            return letter is not null;
        }, TimeSpan.FromSeconds(20), "the poison message in the dead-letter queue", consumer.Logs.Dump);

        Assert.Equal(5, consumer.Probe.CallsFor(poison.Id));
        Assert.Equal(5, letter!.Attempts);
        Assert.Equal(OrderPlacedType, letter.Type);
        Assert.Equal(OrderPlacedType, letter.OriginalRoutingKey);
        Assert.StartsWith("handler-failed: InvalidOperationException: Cannot apply 'poison': the ledger is closed. Details: xxx", letter.Reason, StringComparison.Ordinal);
        Assert.True(letter.Reason.Length <= 500, letter.Reason);
        Assert.NotNull(letter.DeadLetteredAt);
        Assert.Equal(0, await AppliedEvents.CountAsync(consumer.DataSource, poison.Id));
        Assert.Equal(0u, await RawMessages.CountAsync(servers, consumer.Name));
        Assert.True(consumer.Logs.Any(2108), "the final failure is logged as an error");
    }

    [Fact]
    public async Task Malformed_messages_are_dead_lettered_at_once_with_their_reasons_and_never_stop_the_consumer()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, database, TestService.UniqueName("malformed"),
            bus => bus.WithInbox().AddSubscription<OrderPlaced, RecordingHandler<OrderPlaced>>());
        var now = DateTimeOffset.UtcNow.ToString("O");

        await RawMessages.SendToQueueAsync(servers, consumer.Name, "m-not-json", OrderPlacedType, "this is { not json");
        await RawMessages.SendToQueueAsync(servers, consumer.Name, "m-unknown", "msgtest.dlq.never-heard-of-it", $$"""{"id":"m-unknown","occurredAt":"{{now}}","subject":"s"}""");
        await RawMessages.SendToQueueAsync(servers, consumer.Name, "m-missing", OrderPlacedType, $$"""{"id":"m-missing","occurredAt":"{{now}}"}""");
        await RawMessages.SendToQueueAsync(servers, consumer.Name, "m-no-id", OrderPlacedType, $$"""{"occurredAt":"{{now}}","subject":"s"}""");
        await RawMessages.SendToQueueAsync(servers, consumer.Name, "m-oversized", OrderPlacedType,
            Encoding.UTF8.GetBytes($$"""{"id":"m-oversized","occurredAt":"{{now}}","subject":"{{new string('x', 300 * 1024)}}"}"""));
        var good = new OrderPlaced { Subject = "after the bad ones" };
        await consumer.Publisher.PublishAsync(good, CancellationToken.None);

        await consumer.WaitUntilAppliedAsync(good.Id);
        IReadOnlyList<DeadLetter> letters = [];
        await Eventually.HoldsAsync(async () =>
        {
            letters = await consumer.DeadLetters.ListAsync(100, CancellationToken.None);
            return letters.Count >= 5;
        }, TimeSpan.FromSeconds(10), "five dead letters", consumer.Logs.Dump);

        var reasons = letters.ToDictionary(l => l.MessageId!, l => l.Reason);
        Assert.StartsWith("not-json:", reasons["m-not-json"], StringComparison.Ordinal);
        Assert.StartsWith("unknown-type:", reasons["m-unknown"], StringComparison.Ordinal);
        Assert.StartsWith("missing-fields:", reasons["m-missing"], StringComparison.Ordinal);
        Assert.Contains("subject", reasons["m-missing"], StringComparison.Ordinal);
        Assert.StartsWith("missing-fields:", reasons["m-no-id"], StringComparison.Ordinal);
        Assert.StartsWith("oversized:", reasons["m-oversized"], StringComparison.Ordinal);
        Assert.All(letters, l => Assert.Equal(1, l.Attempts));
        Assert.Equal(5, letters.Count);
        // Listing is not consuming: every dead letter is still there for the next look.
        Assert.Equal(5, (await consumer.DeadLetters.ListAsync(100, CancellationToken.None)).Count);
        await Eventually.HoldsAsync(
            async () => await RawMessages.CountAsync(servers, $"{consumer.Name}.dead-letters") == 5,
            TimeSpan.FromSeconds(5), "the listed dead letters back in their queue");
    }

    [Fact]
    public async Task Replaying_a_dead_letter_after_the_fix_brings_it_back_and_it_is_processed()
    {
        var database = await servers.CreateDatabaseAsync();
        await using var consumer = await TestService.StartAsync(servers, database, TestService.UniqueName("replay"),
            bus => bus.WithInbox().AddSubscription<OrderPlaced, RecordingHandler<OrderPlaced>>(),
            settings: new Dictionary<string, string?> { ["Messaging:EventBus:MaxDeliveryAttempts"] = "2" });
        var poison = new OrderPlaced { Subject = "fixable", Poison = true };
        var other = new OrderPlaced { Subject = "stays dead", Poison = true };
        await consumer.Publisher.PublishAsync([poison, other], CancellationToken.None);
        await Eventually.HoldsAsync(
            async () => (await consumer.DeadLetters.ListAsync(10, CancellationToken.None)).Count == 2,
            TimeSpan.FromSeconds(20), "both messages dead-lettered", consumer.Logs.Dump);

        consumer.Probe.Healed = true;
        var replayed = await consumer.DeadLetters.ReplayAsync(poison.Id, CancellationToken.None);
        var unknown = await consumer.DeadLetters.ReplayAsync("evt_no_such_message", CancellationToken.None);

        Assert.True(replayed);
        Assert.False(unknown);
        await consumer.WaitUntilAppliedAsync(poison.Id);
        var remaining = await consumer.DeadLetters.ListAsync(10, CancellationToken.None);
        Assert.Equal([other.Id], remaining.Select(l => l.MessageId));
        Assert.Equal(1, await AppliedEvents.CountAsync(consumer.DataSource, poison.Id));
        Assert.Equal(0, await AppliedEvents.CountAsync(consumer.DataSource, other.Id));
    }

    [IntegrationEvent(OrderPlacedType)]
    public sealed record OrderPlaced : TestEvent;
}
