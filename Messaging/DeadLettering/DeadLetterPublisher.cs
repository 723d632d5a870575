using Microsoft.Extensions.Options;
using Platform.Messaging.Consuming;
using Platform.Messaging.Diagnostics;
using Platform.Messaging.Publishing;
using Platform.Messaging.Transport;
using RabbitMQ.Client;

namespace Platform.Messaging.DeadLettering;

/// <summary>
/// Moves a delivery to the service's dead-letter queue with the reason in its headers. The copy is published
/// (mandatory, confirmed) before the original is acknowledged, so a message is never in neither queue.
/// </summary>
internal sealed class DeadLetterPublisher(ConfirmedPublisher publisher, IOptions<EventBusOptions> options, TimeProvider timeProvider)
{
    public async Task PublishAsync(Delivery delivery, DeadLetterReason reason, CancellationToken cancellationToken)
    {
        var service = options.Value.ServiceName;
        var properties = new BasicProperties(delivery.Properties)
        {
            DeliveryMode = DeliveryModes.Persistent,
            Headers = new Dictionary<string, object?>(delivery.Properties.Headers ?? new Dictionary<string, object?>())
            {
                [MessageHeaders.DeathReason] = reason.ToString(),
                [MessageHeaders.OriginalRoutingKey] = delivery.RoutingKey,
                [MessageHeaders.OriginalExchange] = delivery.Exchange,
                [MessageHeaders.Attempts] = delivery.Attempt,
                [MessageHeaders.DeadLetteredAt] = EventMessages.FormatTime(timeProvider.GetUtcNow()),
                [MessageHeaders.DeadLetteredBy] = service,
            },
        };

        var message = new OutgoingMessage(service, properties, delivery.Body);
        var results = await publisher.PublishAsync(Topology.DeadLetterExchange, [message], mandatory: true, cancellationToken);
        if (results[0] is { } failure)
        {
            throw new DeadLetterFailedException(failure);
        }

        MessagingTelemetry.DeadLettered.Add(1,
            new KeyValuePair<string, object?>("messaging.consumer.group.name", service),
            new KeyValuePair<string, object?>("error.type", reason.Code));
    }
}

/// <summary>The dead-letter copy was not confirmed; the original stays unacknowledged and comes back.</summary>
internal sealed class DeadLetterFailedException(Exception innerException)
    : Exception("The dead-letter copy was not confirmed by RabbitMQ.", innerException);
