using System.Globalization;
using Platform.Messaging.Publishing;
using Platform.Messaging.Transport;
using RabbitMQ.Client;

namespace Platform.Messaging.DeadLettering;

/// <summary>Reads a dead letter's headers (ours, or the broker's own when its delivery limit struck) and prepares a replay.</summary>
internal static class DeadLetterMessages
{
    /// <summary>The properties of the replayed copy: the event's own, without what described the failure.</summary>
    public static BasicProperties ReplayProperties(BasicGetResult message, DateTimeOffset now)
    {
        var headers = new Dictionary<string, object?>(message.BasicProperties.Headers ?? new Dictionary<string, object?>());
        // What described the failure goes; what describes the event (trace context included) stays.
        foreach (var name in headers.Keys.Where(name => name.StartsWith("x-", StringComparison.Ordinal)).ToList())
        {
            headers.Remove(name);
        }

        headers[MessageHeaders.ReplayedAt] = EventMessages.FormatTime(now);
        return new BasicProperties(message.BasicProperties) { DeliveryMode = DeliveryModes.Persistent, Headers = headers };
    }

    public static string OriginalRoutingKey(BasicGetResult message) =>
        MessageHeaders.GetString(message.BasicProperties.Headers, MessageHeaders.OriginalRoutingKey)
        ?? message.BasicProperties.Type
        ?? message.RoutingKey;

    public static DeadLetter Describe(BasicGetResult message)
    {
        var headers = message.BasicProperties.Headers;
        var reason = MessageHeaders.GetString(headers, MessageHeaders.DeathReason)
            ?? $"broker: {MessageHeaders.GetString(headers, MessageHeaders.BrokerFirstDeathReason) ?? "unknown"}";
        var attempts = MessageHeaders.GetInt64(headers, MessageHeaders.Attempts)
            ?? MessageHeaders.GetInt64(headers, MessageHeaders.DeliveryCount) ?? 0;
        var at = DateTimeOffset.TryParse(
            MessageHeaders.GetString(headers, MessageHeaders.DeadLetteredAt), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : (DateTimeOffset?)null;
        return new DeadLetter(
            message.BasicProperties.MessageId,
            message.BasicProperties.Type,
            OriginalRoutingKey(message),
            reason,
            (int)Math.Clamp(attempts, 0, int.MaxValue),
            at,
            message.Body.Length);
    }
}
