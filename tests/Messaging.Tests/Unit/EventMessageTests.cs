using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Platform.Messaging.Publishing;
using Platform.Messaging.Serialization;
using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Unit;

public sealed class EventMessageTests
{
    [Fact]
    public async Task Event_ids_carry_the_prefix_and_sort_by_creation()
    {
        // UUIDv7 orders by millisecond; ids of one millisecond are random within it, so each next id waits for the clock
        // to pass the millisecond the previous one was made in (a timer's 2 ms can end early).
        var ids = new List<string>();
        for (var i = 0; i < 50; i++)
        {
            ids.Add(EventIds.New());
            var made = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
            while (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() <= made) await Task.Delay(1);
        }

        Assert.All(ids, id => Assert.StartsWith("evt_", id, StringComparison.Ordinal));
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public void An_event_without_a_time_is_stamped_by_the_injected_clock_and_serialized_in_camel_case()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2025, 6, 1, 8, 30, 0, TimeSpan.Zero));

        var completed = EventMessages.Complete(new Sample { Subject = "s", OrganizationId = "org_1" }, clock);
        using var json = JsonDocument.Parse(EventMessages.Body(completed, "msgtest.unit.sample", 1024));

        Assert.IsType<Sample>(completed);
        Assert.Equal(clock.GetUtcNow(), completed.OccurredAt);
        Assert.Equal(completed.Id, json.RootElement.GetProperty("id").GetString());
        Assert.Equal("org_1", json.RootElement.GetProperty("organizationId").GetString());
        Assert.Equal("s", json.RootElement.GetProperty("subject").GetString());
    }

    [Fact]
    public void Publishing_refuses_events_without_an_id_a_wire_type_or_within_the_size_limit()
    {
        var clock = new FakeTimeProvider();

        Assert.Throws<ArgumentException>(() => EventMessages.Complete(new Sample { Subject = "s", Id = " " }, clock));
        Assert.Throws<InvalidOperationException>(() => EventTypeNames.Of(typeof(Unnamed)));
        Assert.Throws<ArgumentException>(() => EventMessages.Body(new Sample { Subject = new string('x', 2000) }, "msgtest.unit.sample", 1024));
    }

    [IntegrationEvent("msgtest.unit.sample")]
    public sealed record Sample : TestEvent;

    public sealed record Unnamed : TestEvent;
}
