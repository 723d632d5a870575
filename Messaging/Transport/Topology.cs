using RabbitMQ.Client;

namespace Platform.Messaging.Transport;

/// <summary>
/// Exchanges and queues of the bus. Every declaration is idempotent and always made with the same arguments: a
/// redeclaration with different ones is refused by the broker (PRECONDITION_FAILED), so nothing here may depend on
/// options an operator could change.
/// </summary>
internal static class Topology
{
    public const string EventsExchange = "platform.events";
    public const string DeadLetterExchange = "platform.dead-letters";

    /// <summary>
    /// The broker's own backstop for a message that never gets settled (the process dies while handling it, every
    /// time): after this many deliveries RabbitMQ dead-letters it itself. Above the largest allowed attempt count,
    /// so the consumer's reasoned dead-lettering normally comes first.
    /// </summary>
    public const int BrokerDeliveryLimit = 50;

    public static string DeadLetterQueue(string service) => $"{service}.dead-letters";

    public static async Task DeclareExchangesAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(EventsExchange, ExchangeType.Topic, durable: true, autoDelete: false, cancellationToken: cancellationToken);
        await channel.ExchangeDeclareAsync(DeadLetterExchange, ExchangeType.Direct, durable: true, autoDelete: false, cancellationToken: cancellationToken);
    }

    public static async Task DeclareDeadLetterQueueAsync(IChannel channel, string service, CancellationToken cancellationToken)
    {
        await DeclareExchangesAsync(channel, cancellationToken);
        var queue = DeadLetterQueue(service);
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(queue, DeadLetterExchange, routingKey: service, cancellationToken: cancellationToken);
    }

    /// <summary>The service's quorum queue, bound by the routing key of every event type it subscribes to.</summary>
    public static async Task DeclareServiceQueueAsync(
        IChannel channel, string service, IEnumerable<string> routingKeys, CancellationToken cancellationToken)
    {
        await DeclareDeadLetterQueueAsync(channel, service, cancellationToken);
        await channel.QueueDeclareAsync(service, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?>
            {
                ["x-queue-type"] = "quorum",
                ["x-dead-letter-exchange"] = DeadLetterExchange,
                ["x-dead-letter-routing-key"] = service,
                ["x-delivery-limit"] = BrokerDeliveryLimit,
            },
            cancellationToken: cancellationToken);

        foreach (var routingKey in routingKeys)
        {
            await channel.QueueBindAsync(service, EventsExchange, routingKey, cancellationToken: cancellationToken);
        }
    }
}
