using System.Text;
using System.Text.Json;
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

        Assert.Equal(events.Select(Id), messages.SelectMany(m => m.Events).Select(Id));
        Assert.All(messages, m => Assert.InRange(m.Events.Count, 1, 250));
        Assert.All(messages, m => Assert.True(m.Events.Sum(e => e.Json.Length) <= 20_000));
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

    [Fact]
    public void A_batch_carries_each_spooled_line_verbatim_as_an_element_of_its_events_array()
    {
        var line = """{"id":"evt_1","occurredAt":"2026-11-24T01:02:03+00:00","actor":"key_1","action":"http.request","outcome":"success","details":{"path":"/v1/\u00e9"}}""";
        var batch = new AuditBatchRecorded { Id = "evt_batch", OccurredAt = DateTimeOffset.UnixEpoch, Events = [new SpooledAuditEvent(Encoding.UTF8.GetBytes(line))] };

        using var message = JsonDocument.Parse(JsonSerializer.SerializeToUtf8Bytes(batch, new JsonSerializerOptions(JsonSerializerDefaults.Web)));

        Assert.Equal("evt_batch", message.RootElement.GetProperty("id").GetString());
        Assert.Equal(line, message.RootElement.GetProperty("events")[0].GetRawText());
    }

    [Theory]
    [InlineData("""{"id":"evt_1"}""", true)]
    [InlineData("""  {"id":"evt_1","details":{"a":"b"}}  """, true)]
    [InlineData("""{"id":"evt_1""", false)]
    [InlineData("""{"id":"evt_1"}{"id":"evt_2"}""", false)]
    [InlineData("""["evt_1"]""", false)]
    [InlineData("", false)]
    [InlineData("\0\0\0", false)]
    public void Only_a_line_that_is_one_whole_JSON_object_is_published(string line, bool published)
    {
        Assert.Equal(published, SpoolReader.IsJsonObject(Encoding.UTF8.GetBytes(line)));
    }

    private static string Id(SpooledAuditEvent @event) => JsonDocument.Parse(@event.Json).RootElement.GetProperty("id").GetString()!;

    private static SpooledAuditEvent Spooled(int index, int bytes)
    {
        var json = $$"""{"id":"evt_{{index}}","pad":"{{new string('x', Math.Max(0, bytes - 30))}}"}""";
        return new SpooledAuditEvent(Encoding.UTF8.GetBytes(json));
    }
}
