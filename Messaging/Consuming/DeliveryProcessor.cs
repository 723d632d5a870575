using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Messaging.DeadLettering;
using RabbitMQ.Client;

namespace Platform.Messaging.Consuming;

/// <summary>
/// The consumer's loop: takes the deliveries that have arrived (up to the largest batch), dead-letters the ones
/// that can never be handled, applies the rest by subscription, requeues or dead-letters failures, and settles
/// the whole chunk with one multiple acknowledgement.
/// </summary>
internal sealed class DeliveryProcessor(
    SubscriptionRegistry subscriptions,
    HandlerRunner runner,
    HandlerFailures failures,
    DeadLetterPublisher deadLetters,
    IOptions<EventBusOptions> options,
    TimeProvider timeProvider,
    ILogger<DeliveryProcessor> logger)
{
    // Built on first use, not in the constructor: reading options there would pre-empt start-up validation's full report.
    private InboundParser? _parser;

    public async Task RunAsync(IChannel channel, ChannelReader<Delivery> deliveries, int chunkSize, CancellationToken cancellationToken)
    {
        _parser ??= new InboundParser(subscriptions, options.Value.MaxMessageBytes);
        var chunk = new List<Delivery>(chunkSize);
        while (await deliveries.WaitToReadAsync(cancellationToken))
        {
            chunk.Clear();
            while (chunk.Count < chunkSize && deliveries.TryRead(out var delivery))
            {
                chunk.Add(delivery);
            }

            await ProcessChunkAsync(channel, chunk, cancellationToken);
        }
    }

    private async Task ProcessChunkAsync(IChannel channel, List<Delivery> chunk, CancellationToken cancellationToken)
    {
        var work = chunk.Select(delivery => new WorkItem(delivery, _parser!.Parse(delivery.TypeName, delivery.Properties.MessageId, delivery.Body))).ToList();
        for (var pause = 1; ; pause++)
        {
            try
            {
                await ProcessAsync(channel, work.Where(item => item.IsPending).ToList(), cancellationToken);
                break;
            }
            catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
            {
                // The database or the broker failed, not the messages: wait and try the unsettled ones again, without
                // spending their attempts. If the channel went meanwhile, the broker redelivers them on the next one.
                var delay = Backoff.Delay(pause, options.Value.ReconnectDelay, options.Value.MaxReconnectDelay);
                logger.ProcessingPaused(work.Count(item => item.IsPending), delay, exception);
                await Task.Delay(delay, timeProvider, cancellationToken);
                if (!channel.IsOpen)
                {
                    return;
                }
            }
        }

        // One multiple ack for the chunk, up to its last acknowledgeable delivery: that tag itself must still be
        // outstanding, and the requeued ones below it are no longer, so the ack covers exactly the rest.
        var last = work.LastOrDefault(item => item.Settlement == Settlement.Acknowledge);
        if (last is null)
        {
            return;
        }

        try
        {
            await channel.BasicAckAsync(last.Delivery.DeliveryTag, multiple: true, cancellationToken);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            // Applied but not acknowledged: they come back and the inbox recognises them.
            logger.AckFailed(chunk.Count, exception.GetType().Name);
        }
    }

    private async Task ProcessAsync(IChannel channel, List<WorkItem> items, CancellationToken cancellationToken)
    {
        foreach (var item in items.Where(item => item.Inbound.Rejection is not null))
        {
            await deadLetters.PublishAsync(item.Delivery, item.Inbound.Rejection!, cancellationToken);
            item.Settlement = Settlement.Acknowledge;
            // The message id of a malformed message is whatever its sender wrote: sanitized before it reaches a log.
            logger.Rejected(ReasonText.Sanitize(item.Delivery.Properties.MessageId ?? "(none)", 100), item.Inbound.Rejection!.Code);
        }

        foreach (var group in items.Where(item => item.IsPending).GroupBy(item => item.Inbound.Subscription!))
        {
            var subscription = group.Key;
            if (!subscription.IsBatch)
            {
                foreach (var item in group)
                {
                    await HandleOneAsync(channel, subscription, item, cancellationToken);
                }

                continue;
            }

            foreach (var slice in group.Chunk(subscription.MaxBatchSize))
            {
                // A lone message's failure is its own: retried, then dead-lettered (not taken for a database outage).
                if (slice.Length == 1)
                {
                    await HandleOneAsync(channel, subscription, slice[0], cancellationToken);
                    continue;
                }

                try
                {
                    await runner.RunAsync(subscription, slice, cancellationToken);
                    Array.ForEach(slice, item => item.Settlement = Settlement.Acknowledge);
                }
                catch (HandlerFailedException exception)
                {
                    // One bad event must not hold back the others: apply them one by one, each with its own fate.
                    logger.BatchSplit(subscription.TypeName, slice.Length, exception.InnerException!.GetType().Name);
                    foreach (var item in slice)
                    {
                        await HandleOneAsync(channel, subscription, item, cancellationToken);
                    }
                }
            }
        }
    }

    private async Task HandleOneAsync(IChannel channel, Subscription subscription, WorkItem item, CancellationToken cancellationToken)
    {
        try
        {
            await runner.RunAsync(subscription, [item], cancellationToken);
            item.Settlement = Settlement.Acknowledge;
        }
        catch (HandlerFailedException exception)
        {
            await failures.RetryOrDeadLetterAsync(channel, item, exception.InnerException!, cancellationToken);
        }
    }
}
