using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Messaging.Transport;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Platform.Messaging.Consuming;

/// <summary>
/// Consumes the service's queue for as long as the host runs. A broker restart is ridden out by the client's
/// automatic recovery (connection, channel, queue, bindings and consumer come back by themselves); anything
/// recovery does not cover — no connection yet, a channel closed by the broker — starts a new session here,
/// after a growing pause.
/// </summary>
internal sealed class EventConsumer(
    BrokerConnection connections,
    SubscriptionRegistry subscriptions,
    DeliveryProcessor processor,
    IOptions<EventBusOptions> options,
    TimeProvider timeProvider,
    ILogger<EventConsumer> logger) : BackgroundService
{
    /// <summary>How often the session checks that its channel still lives, and how many checks a closed one gets.</summary>
    private static readonly TimeSpan WatchInterval = TimeSpan.FromSeconds(2);
    private const int ClosedChecksBeforeRestart = 3;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (subscriptions.All.Count == 0)
        {
            return;
        }

        for (var failures = 0; !stoppingToken.IsCancellationRequested;)
        {
            try
            {
                await RunSessionAsync(stoppingToken);
                failures = 0;
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                failures++;
                var delay = Backoff.Delay(failures, options.Value.ReconnectDelay, options.Value.MaxReconnectDelay);
                logger.ConsumerSessionFailed(options.Value.ServiceName, failures, delay, exception);
                try
                {
                    await Task.Delay(delay, timeProvider, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private async Task RunSessionAsync(CancellationToken stoppingToken)
    {
        var service = options.Value.ServiceName;
        var connection = await connections.GetAsync(stoppingToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: stoppingToken);
        await Topology.DeclareServiceQueueAsync(channel, service, subscriptions.All.Select(s => s.TypeName), stoppingToken);
        var prefetch = (ushort)(options.Value.Prefetch ?? (subscriptions.HasBatches ? 200 : 50));
        await channel.BasicQosAsync(prefetchSize: 0, prefetchCount: prefetch, global: false, stoppingToken);

        var deliveries = Channel.CreateUnbounded<Delivery>(new UnboundedChannelOptions { SingleReader = true });
        var consumer = new AsyncEventingBasicConsumer(channel);
        // The prefetch bounds this buffer: the broker sends no more than that many unacknowledged messages.
        consumer.ReceivedAsync += (_, args) =>
        {
            deliveries.Writer.TryWrite(Delivery.From(args));
            return Task.CompletedTask;
        };

        using var connectionEvents = ConnectionEvents.Log(connection, logger, service);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var chunkSize = Math.Clamp(Math.Max(subscriptions.LargestBatch, 50), 1, prefetch);
        var processing = processor.RunAsync(channel, deliveries.Reader, chunkSize, session.Token);
        try
        {
            await channel.BasicConsumeAsync(service, autoAck: false, consumer, stoppingToken);
            logger.Consuming(service, prefetch, subscriptions.All.Count);
            await WatchAsync(connection, channel, consumer, processing, stoppingToken);
        }
        finally
        {
            deliveries.Writer.TryComplete();
            await session.CancelAsync();
            await processing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    /// <summary>
    /// Returns when the session is over: its loop failed, or, while the connection is open, its channel is closed
    /// (by the broker, which automatic recovery does not undo: it only reopens what a lost connection took) or its
    /// consumer is gone (cancelled by the broker, or not re-registered by a recovery that failed half-way).
    /// </summary>
    private async Task WatchAsync(
        IConnection connection, IChannel channel, AsyncEventingBasicConsumer consumer, Task processing, CancellationToken stoppingToken)
    {
        var closedChecks = 0;
        while (true)
        {
            await Task.WhenAny(processing, Task.Delay(WatchInterval, timeProvider, stoppingToken));
            stoppingToken.ThrowIfCancellationRequested();
            if (processing.IsCompleted)
            {
                await processing;
                throw new InvalidOperationException("The consumer loop ended unexpectedly.");
            }

            // Several checks in a row: just after a reconnection the channel and consumer take a moment to come back.
            closedChecks = connection.IsOpen && (channel.IsClosed || !consumer.IsRunning) ? closedChecks + 1 : 0;
            if (closedChecks >= ClosedChecksBeforeRestart)
            {
                throw new InvalidOperationException(
                    $"The consumer stopped while the connection is open: {channel.CloseReason?.ReplyText ?? consumer.ShutdownReason?.ReplyText ?? "cancelled by the broker"}.");
            }
        }
    }
}
