using Platform.Gateway.Auditing;
using Platform.Gateway.Events;

namespace Platform.Gateway.Tests;

public sealed class AuditBatchesTests
{
    [Fact]
    public void Events_keep_their_order_and_no_message_holds_more_than_the_count_or_the_bytes()
    {
        var events = Enumerable.Range(0, 1003).Select(i => Spooled(i, bytes: 100 + i % 7)).ToList();

        var messages = AuditBatches.Pack(events, maxEvents: 250, maxBytes: 20_000);

        Assert.Equal(events.Select(e => e.Event.Id), messages.SelectMany(m => m.Events).Select(e => e.Id));
        Assert.All(messages, m => Assert.InRange(m.Events.Count, 1, 250));
        Assert.All(messages, m => Assert.True(m.Events.Sum(e => Size(events, e)) <= 20_000));
        Assert.Equal(messages.Count, messages.Select(m => m.Id).Distinct().Count());
    }

    [Fact]
    public void The_byte_budget_splits_before_the_count_does()
    {
        var events = Enumerable.Range(0, 10).Select(i => Spooled(i, bytes: 400)).ToList();

        var messages = AuditBatches.Pack(events, maxEvents: 250, maxBytes: 1000);

        Assert.Equal([2, 2, 2, 2, 2], messages.Select(m => m.Events.Count));
    }

    [Fact]
    public void An_event_larger_than_the_budget_goes_alone_and_nothing_is_dropped()
    {
        var events = new[] { Spooled(0, 10), Spooled(1, 5000), Spooled(2, 10) };

        var messages = AuditBatches.Pack(events, maxEvents: 250, maxBytes: 1000);

        Assert.Equal([1, 1, 1], messages.Select(m => m.Events.Count));
        Assert.Empty(AuditBatches.Pack([], 250, 1000));
    }

    private static int Size(List<SpooledEvent> events, AuditRecorded @event) => events.Single(e => e.Event.Id == @event.Id).Bytes;

    private static SpooledEvent Spooled(int index, int bytes) => new(new AuditRecorded
    {
        Id = $"evt_{index}",
        OccurredAt = DateTimeOffset.UnixEpoch.AddSeconds(index),
        Actor = "anonymous",
        Action = "http.request",
        Outcome = "success",
    }, bytes);
}
