namespace Platform.Messaging;

/// <summary>
/// Publishes integration events to the <c>platform.events</c> exchange. A call returns only once RabbitMQ has
/// confirmed every message (publisher confirms), so "done" means "on disk in a durable queue"; a negative
/// acknowledgement, a lost connection or a confirm timeout throws <see cref="EventPublishException"/>.
/// </summary>
/// <remarks>
/// Publishing directly is for events that may be lost with the caller's own state (nothing to roll back). An
/// event that records a change to the service's data goes through <see cref="IOutbox"/> in the same transaction.
/// </remarks>
public interface IEventPublisher
{
    Task PublishAsync(IntegrationEvent @event, CancellationToken cancellationToken);

    /// <summary>Publishes the events pipelined on one channel and returns when all of them are confirmed.</summary>
    Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken);
}
