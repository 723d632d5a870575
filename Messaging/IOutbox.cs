using Npgsql;

namespace Platform.Messaging;

/// <summary>
/// The transactional outbox: an event is written into the service's <c>outbox</c> table in the caller's own
/// transaction, so it exists exactly when the change it describes was committed. The relay added by
/// <see cref="EventBusBuilder.AddOutbox"/> publishes it afterwards, retrying until RabbitMQ confirms it.
/// </summary>
public interface IOutbox
{
    Task EnqueueAsync(IntegrationEvent @event, NpgsqlTransaction transaction, CancellationToken cancellationToken);

    /// <summary>Writes many events with one statement, in list order.</summary>
    Task EnqueueAsync(IReadOnlyList<IntegrationEvent> events, NpgsqlTransaction transaction, CancellationToken cancellationToken);
}
