using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Messaging.DeadLettering;
using Platform.Messaging.Transport;
using RabbitMQ.Client;

namespace Platform.Messaging;

/// <summary>
/// The operator's view of the service's dead-letter queue (<c>&lt;service&gt;.dead-letters</c>): list what is in it
/// and replay a message once its cause is fixed. Listing takes messages without acknowledging them and returns them
/// afterwards, so looking never loses anything.
/// </summary>
public sealed class DeadLetters
{
    public const int MaxListed = 1000;

    private readonly BrokerConnection _connections;
    private readonly ConfirmedPublisher _publisher;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<DeadLetters> _logger;
    private readonly IOptions<EventBusOptions> _options;

    internal DeadLetters(
        BrokerConnection connections,
        ConfirmedPublisher publisher,
        IOptions<EventBusOptions> options,
        TimeProvider timeProvider,
        ILogger<DeadLetters> logger)
    {
        _connections = connections;
        _publisher = publisher;
        _timeProvider = timeProvider;
        _logger = logger;
        _options = options;
    }

    private string Service => _options.Value.ServiceName;

    public string QueueName => Topology.DeadLetterQueue(Service);

    /// <summary>Up to <paramref name="max"/> dead letters, oldest first; they all stay in the queue.</summary>
    public async Task<IReadOnlyList<DeadLetter>> ListAsync(int max, CancellationToken cancellationToken)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(max, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(max, MaxListed);
        await using var channel = await OpenAsync(cancellationToken);
        var letters = new List<DeadLetter>();
        ulong lastTag = 0;
        try
        {
            while (letters.Count < max && await channel.BasicGetAsync(QueueName, autoAck: false, cancellationToken) is { } message)
            {
                lastTag = message.DeliveryTag;
                letters.Add(DeadLetterMessages.Describe(message));
            }
        }
        finally
        {
            // Closing the channel would return them too; saying so explicitly does not depend on how the channel ends.
            if (lastTag > 0)
            {
                await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, CancellationToken.None);
            }
        }

        return letters;
    }

    /// <summary>
    /// Publishes the dead letter with this message id again to <c>platform.events</c> with its original routing key
    /// and type, then removes it from the dead-letter queue. False when no such dead letter exists; throws (and keeps
    /// it) when the broker does not confirm the republished copy or nothing is bound to its routing key.
    /// </summary>
    public async Task<bool> ReplayAsync(string messageId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(messageId);
        await using var channel = await OpenAsync(cancellationToken);
        // The highest tag taken and not acknowledged: the multiple nack that returns the others must not name the
        // replayed one, which is acknowledged already (the broker would close the channel for an unknown tag).
        ulong requeueUpTo = 0;
        try
        {
            while (await channel.BasicGetAsync(QueueName, autoAck: false, cancellationToken) is { } message)
            {
                if (message.BasicProperties.MessageId != messageId)
                {
                    requeueUpTo = message.DeliveryTag;
                    continue;
                }

                var routingKey = DeadLetterMessages.OriginalRoutingKey(message);
                var copy = new OutgoingMessage(routingKey, DeadLetterMessages.ReplayProperties(message, _timeProvider.GetUtcNow()), message.Body.ToArray());
                var results = await _publisher.PublishAsync(Topology.EventsExchange, [copy], mandatory: true, cancellationToken);
                if (results[0] is { } failure)
                {
                    requeueUpTo = message.DeliveryTag;
                    throw new EventPublishException(
                        $"Replaying {messageId} was not confirmed by RabbitMQ; it stays in {QueueName}.", [messageId], failure);
                }

                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                _logger.DeadLetterReplayed(ReasonText.Sanitize(messageId, 100), ReasonText.Sanitize(routingKey, 100), Service);
                return true;
            }

            return false;
        }
        finally
        {
            if (requeueUpTo > 0)
            {
                await channel.BasicNackAsync(requeueUpTo, multiple: true, requeue: true, CancellationToken.None);
            }
        }
    }

    private async Task<IChannel> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _connections.GetAsync(cancellationToken);
        var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        try
        {
            await Topology.DeclareDeadLetterQueueAsync(channel, Service, cancellationToken);
            return channel;
        }
        catch
        {
            await channel.DisposeAsync();
            throw;
        }
    }
}
