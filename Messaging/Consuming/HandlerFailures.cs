using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Messaging.DeadLettering;
using Platform.Messaging.Diagnostics;
using RabbitMQ.Client;

namespace Platform.Messaging.Consuming;

/// <summary>
/// What happens to a message whose handler failed: requeued after a short pause while it has attempts left
/// (<see cref="EventBusOptions.MaxDeliveryAttempts"/>, counted by the quorum queue), then dead-lettered with the
/// failure as its reason.
/// </summary>
internal sealed class HandlerFailures(
    DeadLetterPublisher deadLetters,
    IOptions<EventBusOptions> options,
    TimeProvider timeProvider,
    ILogger<HandlerFailures> logger)
{
    public async Task RetryOrDeadLetterAsync(IChannel channel, WorkItem item, Exception failure, CancellationToken cancellationToken)
    {
        var delivery = item.Delivery;
        var attempt = delivery.Attempt;
        if (attempt >= options.Value.MaxDeliveryAttempts)
        {
            await deadLetters.PublishAsync(delivery, DeadLetterReason.FromException(failure), cancellationToken);
            item.Settlement = Settlement.Acknowledge;
            logger.HandlerGaveUp(delivery.Properties.MessageId, delivery.TypeName, attempt, failure);
            return;
        }

        // Requeued after a short, growing pause: a failure caused by something about to recover (a lock, a peer
        // service) gets time to clear, and a poison message cannot spin the consumer.
        var delay = Backoff.Delay(attempt, options.Value.RetryDelay, options.Value.MaxRetryDelay);
        logger.HandlerFailed(delivery.Properties.MessageId, delivery.TypeName, attempt, options.Value.MaxDeliveryAttempts, delay, failure);
        await Task.Delay(delay, timeProvider, cancellationToken);
        await channel.BasicNackAsync(delivery.DeliveryTag, multiple: false, requeue: true, cancellationToken);
        item.Settlement = Settlement.Requeued;
        MessagingTelemetry.Retried.Add(1, new KeyValuePair<string, object?>("messaging.consumer.group.name", options.Value.ServiceName));
    }
}
