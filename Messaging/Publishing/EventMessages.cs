using System.Diagnostics;
using System.Globalization;
using Platform.Messaging.Diagnostics;
using Platform.Messaging.Serialization;
using Platform.Messaging.Transport;
using RabbitMQ.Client;

namespace Platform.Messaging.Publishing;

/// <summary>Turns an event into its message: JSON body, id, wire type, persistence and trace context.</summary>
internal static class EventMessages
{
    public const string ContentType = "application/json";

    /// <summary>Fills in <see cref="IntegrationEvent.OccurredAt"/> when the publisher left it unset; refuses an empty id.</summary>
    public static IntegrationEvent Complete(IntegrationEvent @event, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(@event);
        if (string.IsNullOrWhiteSpace(@event.Id))
        {
            throw new ArgumentException($"{@event.GetType().Name} has no id; consumers deduplicate by it.", nameof(@event));
        }

        return @event.OccurredAt == default ? @event with { OccurredAt = timeProvider.GetUtcNow() } : @event;
    }

    public static byte[] Body(IntegrationEvent @event, string type, int maxBytes)
    {
        var body = EventJson.Serialize(@event);
        return body.Length <= maxBytes
            ? body
            : throw new ArgumentException(
                $"Event {@event.Id} ({type}) is {body.Length} bytes; the limit is {maxBytes} (Messaging:EventBus:MaxMessageBytes).");
    }

    public static OutgoingMessage Create(
        string eventId, string type, ReadOnlyMemory<byte> body, string? traceParent, string? traceState, TimeProvider timeProvider, Activity? activity,
        bool mustBeRouted)
    {
        var headers = new Dictionary<string, object?>();
        if (activity is not null)
        {
            // The producer span becomes the consumer's parent; it is itself a child of the original request.
            (traceParent, traceState) = TraceHeaders.Capture(activity);
            activity.SetTag("messaging.message.id", eventId);
        }

        TraceHeaders.Write(headers, traceParent, traceState);
        var properties = new BasicProperties
        {
            MessageId = eventId,
            Type = type,
            ContentType = ContentType,
            DeliveryMode = DeliveryModes.Persistent,
            Timestamp = new AmqpTimestamp(timeProvider.GetUtcNow().ToUnixTimeSeconds()),
            Headers = headers,
        };
        return new OutgoingMessage(type, properties, body, activity, mustBeRouted);
    }

    public static string FormatTime(DateTimeOffset time) => time.UtcDateTime.ToString("O", CultureInfo.InvariantCulture);
}
