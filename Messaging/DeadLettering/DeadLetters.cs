using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Messaging.Diagnostics;
using Platform.Messaging.Publishing;
using Platform.Messaging.Transport;
using Platform.ServiceDefaults.RabbitMQ;
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

    private readonly RabbitMQConnectionProvider _connections;
    private readonly ConfirmedPublisher _publisher;
    private readonly TimeProvider _timeProvider;
    private readonly ILogger<DeadLetters> _logger;
    private readonly IOptions<EventBusOptions> _options;

    internal DeadLetters(
        RabbitMQConnectionProvider connections,
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
                letters.Add(Describe(message));
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
        ulong lastTag = 0;
        try
        {
            while (await channel.BasicGetAsync(QueueName, autoAck: false, cancellationToken) is { } message)
            {
                lastTag = message.DeliveryTag;
                if (message.BasicProperties.MessageId != messageId)
                {
                    continue;
                }

                var routingKey = OriginalRoutingKey(message);
                var copy = new OutgoingMessage(routingKey, ReplayProperties(message), message.Body.ToArray());
                var results = await _publisher.PublishAsync(Topology.EventsExchange, [copy], mandatory: true, cancellationToken);
                if (results[0] is { } failure)
                {
                    throw new EventPublishException(
                        $"Replaying {messageId} was not confirmed by RabbitMQ; it stays in {QueueName}.", [messageId], failure);
                }

                await channel.BasicAckAsync(message.DeliveryTag, multiple: false, cancellationToken);
                _logger.DeadLetterReplayed(messageId, routingKey, Service);
                return true;
            }

            return false;
        }
        finally
        {
            if (lastTag > 0)
            {
                await channel.BasicNackAsync(lastTag, multiple: true, requeue: true, CancellationToken.None);
            }
        }
    }

    private async Task<IChannel> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await _connections.GetConnectionAsync(cancellationToken);
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

    private BasicProperties ReplayProperties(BasicGetResult message)
    {
        var headers = new Dictionary<string, object?>(message.BasicProperties.Headers ?? new Dictionary<string, object?>());
        // What described the failure goes; what describes the event (trace context included) stays.
        foreach (var name in headers.Keys.Where(name => name.StartsWith("x-", StringComparison.Ordinal)).ToList())
        {
            headers.Remove(name);
        }

        headers[MessageHeaders.ReplayedAt] = EventMessages.FormatTime(_timeProvider.GetUtcNow());
        return new BasicProperties(message.BasicProperties) { DeliveryMode = DeliveryModes.Persistent, Headers = headers };
    }

    private static string OriginalRoutingKey(BasicGetResult message) =>
        MessageHeaders.GetString(message.BasicProperties.Headers, MessageHeaders.OriginalRoutingKey)
        ?? message.BasicProperties.Type
        ?? message.RoutingKey;

    private static DeadLetter Describe(BasicGetResult message)
    {
        var headers = message.BasicProperties.Headers;
        var reason = MessageHeaders.GetString(headers, MessageHeaders.DeathReason)
            ?? $"broker: {MessageHeaders.GetString(headers, MessageHeaders.BrokerFirstDeathReason) ?? "unknown"}";
        var attempts = MessageHeaders.GetInt64(headers, MessageHeaders.Attempts)
            ?? MessageHeaders.GetInt64(headers, MessageHeaders.DeliveryCount) ?? 0;
        var at = DateTimeOffset.TryParse(
            MessageHeaders.GetString(headers, MessageHeaders.DeadLetteredAt), CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed)
            ? parsed
            : (DateTimeOffset?)null;
        return new DeadLetter(
            message.BasicProperties.MessageId,
            message.BasicProperties.Type,
            OriginalRoutingKey(message),
            reason,
            (int)Math.Clamp(attempts, 0, int.MaxValue),
            at,
            message.Body.Length);
    }
}
