using System.Text.Json;
using Platform.Messaging.DeadLettering;
using Platform.Messaging.Serialization;

namespace Platform.Messaging.Consuming;

/// <summary>The outcome of reading a delivery: the event and its subscription, or why it can never be handled.</summary>
internal readonly record struct Inbound(IntegrationEvent? Event, Subscription? Subscription, DeadLetterReason? Rejection)
{
    public static Inbound Rejected(string code, string detail) => new(null, null, new DeadLetterReason(code, detail));
}

/// <summary>
/// Decides, without touching the broker or the database, whether a message can ever be handled. A message that
/// cannot (too large, not JSON, unknown type, missing or invalid fields) is dead-lettered at once: retrying it
/// would fail identically and hold up the messages behind it.
/// </summary>
internal sealed class InboundParser(SubscriptionRegistry subscriptions, int maxMessageBytes)
{
    public Inbound Parse(string typeName, string? messageId, ReadOnlySpan<byte> body)
    {
        if (body.Length > maxMessageBytes)
        {
            return Inbound.Rejected(DeadLetterReason.Oversized, $"{body.Length} bytes exceed the limit of {maxMessageBytes}.");
        }

        if (subscriptions.Find(typeName) is not { } subscription)
        {
            return Inbound.Rejected(DeadLetterReason.UnknownType, $"This service has no handler for type '{ReasonText.Sanitize(typeName, 100)}'.");
        }

        IntegrationEvent? @event;
        try
        {
            @event = (IntegrationEvent?)JsonSerializer.Deserialize(body, subscription.EventType, EventJson.Options);
        }
        catch (JsonException exception)
        {
            return IsJson(body)
                ? Inbound.Rejected(
                    exception.Message.Contains("missing required properties", StringComparison.Ordinal) ? DeadLetterReason.MissingFields : DeadLetterReason.InvalidFields,
                    ReasonText.Sanitize(exception.Message))
                : Inbound.Rejected(DeadLetterReason.NotJson, ReasonText.Sanitize(exception.Message));
        }

        if (@event is null)
        {
            return Inbound.Rejected(DeadLetterReason.NotJson, "The body is JSON null, not an event object.");
        }

        // The id becomes a primary key, a log field and a header: printable and bounded, or it is not an id.
        if (!EventIds.IsUsable(@event.Id))
        {
            return Inbound.Rejected(DeadLetterReason.InvalidFields, "'id' must be a printable string of 1 to 200 characters.");
        }

        if (@event.OccurredAt == default)
        {
            return Inbound.Rejected(DeadLetterReason.InvalidFields, "'occurredAt' must be a timestamp.");
        }

        // The id in the body is what the inbox records; a message id that disagrees means a forged or corrupted envelope.
        if (messageId is not null && !string.Equals(messageId, @event.Id, StringComparison.Ordinal))
        {
            return Inbound.Rejected(DeadLetterReason.InvalidFields, "The message id differs from the event's 'id'.");
        }

        return new Inbound(@event, subscription, null);
    }

    private static bool IsJson(ReadOnlySpan<byte> body)
    {
        var reader = new Utf8JsonReader(body);
        try
        {
            while (reader.Read())
            {
            }

            return true;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
