using System.Text;

namespace Platform.Messaging.Transport;

/// <summary>AMQP header names the bus writes or reads, and how to read their values (strings arrive as bytes).</summary>
internal static class MessageHeaders
{
    /// <summary>Set by quorum queues: how many times the message was returned to the queue before this delivery.</summary>
    public const string DeliveryCount = "x-delivery-count";

    public const string DeathReason = "x-death-reason";
    public const string OriginalRoutingKey = "x-original-routing-key";
    public const string OriginalExchange = "x-original-exchange";
    public const string Attempts = "x-attempts";
    public const string DeadLetteredAt = "x-dead-lettered-at";
    public const string DeadLetteredBy = "x-dead-lettered-by";
    public const string ReplayedAt = "x-replayed-at";

    /// <summary>Written by the broker itself when it dead-letters (the queue's delivery limit).</summary>
    public const string BrokerFirstDeathReason = "x-first-death-reason";

    public static string? GetString(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch
            {
                byte[] bytes => Encoding.UTF8.GetString(bytes),
                string text => text,
                null => null,
                _ => Convert.ToString(value, System.Globalization.CultureInfo.InvariantCulture),
            }
            : null;

    public static long? GetInt64(IDictionary<string, object?>? headers, string name) =>
        headers is not null && headers.TryGetValue(name, out var value)
            ? value switch
            {
                long number => number,
                int number => number,
                short number => number,
                byte number => number,
                ulong number => (long)Math.Min(number, long.MaxValue),
                uint number => number,
                byte[] or string when long.TryParse(GetString(headers, name), out var parsed) => parsed,
                _ => null,
            }
            : null;
}
