using System.Diagnostics;
using Microsoft.Extensions.Options;
using Platform.Messaging.Diagnostics;

namespace Platform.Messaging.Transport;

/// <summary>
/// Publishes with publisher confirms: a message counts as published only once the broker has confirmed it. Many
/// messages are pipelined on one channel, at most <see cref="EventBusOptions.MaxOutstandingConfirms"/> unconfirmed
/// at a time, all within one <see cref="EventBusOptions.PublishConfirmTimeout"/>.
/// </summary>
internal sealed class ConfirmedPublisher(ChannelPool channels, IOptions<EventBusOptions> options, TimeProvider timeProvider)
{
    /// <summary>
    /// One entry per message, in order: <c>null</c> when confirmed, else why not. With <paramref name="mandatory"/>
    /// (or a message's own <see cref="OutgoingMessage.Mandatory"/>), a message that no queue takes is not confirmed.
    /// Only the caller's own cancellation throws; every broker failure is reported per message.
    /// </summary>
    public async Task<Exception?[]> PublishAsync(
        string exchange, IReadOnlyList<OutgoingMessage> messages, bool mandatory, CancellationToken cancellationToken)
    {
        var results = new Exception?[messages.Count];
        var timeout = options.Value.PublishConfirmTimeout;
        using var timer = new CancellationTokenSource(timeout, timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timer.Token);
        var token = linked.Token;

        PooledChannel channel;
        try
        {
            channel = await channels.RentAsync(token);
        }
        catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
        {
            var failure = exception is OperationCanceledException ? TimedOut(timeout, "waiting for a channel") : exception;
            Array.Fill(results, failure);
            Finish(exchange, messages, results);
            return results;
        }

        var healthy = true;
        var window = options.Value.MaxOutstandingConfirms;
        var inFlight = new Queue<(int Index, ValueTask Confirm)>(Math.Min(window, messages.Count));
        try
        {
            for (var index = 0; index < messages.Count; index++)
            {
                while (inFlight.Count >= window)
                {
                    healthy &= await SettleAsync(inFlight.Dequeue(), results, timeout, cancellationToken);
                }

                var message = messages[index];
                // When traced, RabbitMQ.Client starts its own span under the current activity and writes that span's
                // context over the message's traceparent. Under the message's own span it stays in the message's
                // trace; under the caller's (an outbox relay pass has none) it would start a trace of its own.
                var caller = Activity.Current;
                if (message.Activity is not null)
                {
                    Activity.Current = message.Activity;
                }

                try
                {
                    inFlight.Enqueue((index, channel.Channel.BasicPublishAsync(
                        exchange, message.RoutingKey, mandatory || message.Mandatory, message.Properties, message.Body, token)));
                }
                catch (Exception exception) when (!cancellationToken.IsCancellationRequested)
                {
                    results[index] = exception is OperationCanceledException ? TimedOut(timeout, "publishing") : exception;
                    healthy = false;
                }
                finally
                {
                    Activity.Current = caller;
                }
            }

            while (inFlight.Count > 0)
            {
                healthy &= await SettleAsync(inFlight.Dequeue(), results, timeout, cancellationToken);
            }
        }
        finally
        {
            // Whatever is still in flight (the caller cancelled) must be observed before the channel goes.
            while (inFlight.Count > 0)
            {
                await SettleAsync(inFlight.Dequeue(), results, timeout, CancellationToken.None);
                healthy = false;
            }

            await channels.ReturnAsync(channel, healthy && !cancellationToken.IsCancellationRequested);
        }

        Finish(exchange, messages, results);
        cancellationToken.ThrowIfCancellationRequested();
        return results;
    }

    private static async Task<bool> SettleAsync(
        (int Index, ValueTask Confirm) pending, Exception?[] results, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            await pending.Confirm;
            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The confirm may still come; the channel's bookkeeping is no longer trustworthy, so it is discarded.
            results[pending.Index] = TimedOut(timeout, "waiting for the broker's confirm");
            return false;
        }
        catch (Exception exception)
        {
            results[pending.Index] = exception;
            // A nack or a return leaves the channel usable; anything else (closed, I/O) does not.
            return exception is RabbitMQ.Client.Exceptions.PublishException;
        }
    }

    private static TimeoutException TimedOut(TimeSpan timeout, string what) =>
        new($"Not confirmed within {timeout.TotalSeconds:0.###} s ({what}).");

    private static void Finish(string exchange, IReadOnlyList<OutgoingMessage> messages, Exception?[] results)
    {
        var confirmed = results.Count(result => result is null);
        if (confirmed > 0)
        {
            MessagingTelemetry.Published.Add(confirmed, new KeyValuePair<string, object?>("messaging.destination.name", exchange));
        }

        for (var index = 0; index < messages.Count; index++)
        {
            if (messages[index].Activity is not { } activity)
            {
                continue;
            }

            if (results[index] is { } failure)
            {
                activity.SetStatus(ActivityStatusCode.Error, failure.GetType().Name);
            }

            activity.Dispose();
        }
    }
}
