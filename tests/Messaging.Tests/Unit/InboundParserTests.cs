using System.Text;
using Platform.Messaging.Consuming;
using Platform.Messaging.DeadLettering;
using Platform.Messaging.Tests.Infrastructure;

namespace Platform.Messaging.Tests.Unit;

public sealed class InboundParserTests
{
    private const string Type = "msgtest.unit.parsed";
    private readonly InboundParser _parser;

    public InboundParserTests()
    {
        var subscriptions = new SubscriptionRegistry();
        subscriptions.Add(SubscriptionFactory.Single<Parsed, RecordingHandler<Parsed>>(Type));
        _parser = new InboundParser(subscriptions, maxMessageBytes: 1024);
    }

    [Fact]
    public void A_complete_camel_case_event_is_read_with_its_id_and_time()
    {
        var inbound = Parse("evt_1", """{"id":"evt_1","occurredAt":"2025-01-02T03:04:05Z","subject":"s","organizationId":"org_1"}""");

        var @event = Assert.IsType<Parsed>(inbound.Event);
        Assert.Null(inbound.Rejection);
        Assert.Equal("evt_1", @event.Id);
        Assert.Equal("org_1", @event.OrganizationId);
        Assert.Equal(new DateTimeOffset(2025, 1, 2, 3, 4, 5, TimeSpan.Zero), @event.OccurredAt);
    }

    [Theory]
    [InlineData("""{"occurredAt":"2025-01-02T03:04:05Z","subject":"s"}""", DeadLetterReason.MissingFields, "id")]
    [InlineData("""{"id":"evt_1","subject":"s"}""", DeadLetterReason.MissingFields, "occurredAt")]
    [InlineData("""{"id":"evt_1","occurredAt":"2025-01-02T03:04:05Z"}""", DeadLetterReason.MissingFields, "subject")]
    [InlineData("""{"id":"","occurredAt":"2025-01-02T03:04:05Z","subject":"s"}""", DeadLetterReason.InvalidFields, "id")]
    [InlineData("""{"id":"evt_1\nforged log line","occurredAt":"2025-01-02T03:04:05Z","subject":"s"}""", DeadLetterReason.InvalidFields, "id")]
    [InlineData("""{"id":"evt_1","occurredAt":"0001-01-01T00:00:00Z","subject":"s"}""", DeadLetterReason.InvalidFields, "occurredAt")]
    [InlineData("""{"id":"evt_1","occurredAt":"yesterday","subject":"s"}""", DeadLetterReason.InvalidFields, "")]
    [InlineData("""not json at all""", DeadLetterReason.NotJson, "")]
    [InlineData("""{"id":"evt_1", """, DeadLetterReason.NotJson, "")]
    [InlineData("""null""", DeadLetterReason.NotJson, "null")]
    public void A_message_that_can_never_be_handled_is_rejected_with_a_reason(string body, string code, string mentions)
    {
        var inbound = Parse(null, body);

        Assert.Null(inbound.Event);
        Assert.Equal(code, inbound.Rejection!.Code);
        Assert.Contains(mentions, inbound.Rejection.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_type_and_an_oversized_body_are_rejected_before_parsing()
    {
        var unknown = _parser.Parse("msgtest.unit.other", null, "{}"u8);
        var oversized = _parser.Parse(Type, null, new byte[1025]);

        Assert.Equal(DeadLetterReason.UnknownType, unknown.Rejection!.Code);
        Assert.Contains("msgtest.unit.other", unknown.Rejection.Detail, StringComparison.Ordinal);
        Assert.Equal(DeadLetterReason.Oversized, oversized.Rejection!.Code);
    }

    [Fact]
    public void A_message_id_that_contradicts_the_event_id_is_rejected()
    {
        var inbound = Parse("evt_other", """{"id":"evt_1","occurredAt":"2025-01-02T03:04:05Z","subject":"s"}""");

        Assert.Equal(DeadLetterReason.InvalidFields, inbound.Rejection!.Code);
    }

    private Inbound Parse(string? messageId, string body) => _parser.Parse(Type, messageId, Encoding.UTF8.GetBytes(body));

    [IntegrationEvent(Type)]
    public sealed record Parsed : TestEvent;
}
