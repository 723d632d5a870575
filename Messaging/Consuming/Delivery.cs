using RabbitMQ.Client;
using RabbitMQ.Client.Events;
using Platform.Messaging.Transport;

namespace Platform.Messaging.Consuming;

/// <summary>
/// A delivery copied out of the client's buffers: the body memory of a <see cref="BasicDeliverEventArgs"/> is only
/// valid during the callback, and processing happens later, on the consumer's own loop.
/// </summary>
internal sealed record Delivery(ulong DeliveryTag, string Exchange, string RoutingKey, BasicProperties Properties, byte[] Body)
{
    /// <summary>This delivery's attempt number, from 1: quorum queues count the returns before it.</summary>
    public int Attempt => (int)Math.Min(int.MaxValue - 1, MessageHeaders.GetInt64(Properties.Headers, MessageHeaders.DeliveryCount) ?? 0) + 1;

    /// <summary>The wire type: the <c>type</c> property, else the routing key it was published with.</summary>
    public string TypeName => string.IsNullOrEmpty(Properties.Type) ? RoutingKey : Properties.Type;

    public static Delivery From(BasicDeliverEventArgs args) =>
        new(args.DeliveryTag, args.Exchange, args.RoutingKey, new BasicProperties(args.BasicProperties), args.Body.ToArray());
}
