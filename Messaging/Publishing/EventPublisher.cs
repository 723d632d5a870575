using Microsoft.Extensions.Options;
using Platform.Messaging.Diagnostics;
using Platform.Messaging.Serialization;
using Platform.Messaging.Transport;

namespace Platform.Messaging.Publishing;

internal sealed class EventPublisher(ConfirmedPublisher publisher, IOptions<EventBusOptions> options, TimeProvider timeProvider)
    : IEventPublisher
{
    public Task PublishAsync(IntegrationEvent @event, CancellationToken cancellationToken) =>
        PublishAsync([@event], cancellationToken);

    public async Task PublishAsync(IReadOnlyList<IntegrationEvent> events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(events);
        if (events.Count == 0)
        {
            return;
        }

        var messages = new OutgoingMessage[events.Count];
        for (var index = 0; index < events.Count; index++)
        {
            var @event = EventMessages.Complete(events[index], timeProvider);
            var type = EventTypeNames.Of(@event.GetType());
            var body = EventMessages.Body(@event, type, options.Value.MaxMessageBytes);
            messages[index] = EventMessages.Create(
                @event.Id, type, body, null, null, timeProvider, MessagingTelemetry.StartPublish(type), EventTypeNames.MustBeRouted(@event.GetType()));
        }

        var results = await publisher.PublishAsync(Topology.EventsExchange, messages, mandatory: false, cancellationToken);
        var failed = new List<string>();
        Exception? first = null;
        for (var index = 0; index < results.Length; index++)
        {
            if (results[index] is { } failure)
            {
                failed.Add(messages[index].Properties.MessageId!);
                first ??= failure;
            }
        }

        if (failed.Count > 0)
        {
            throw new EventPublishException(
                $"{failed.Count} of {messages.Length} event(s) were not confirmed by RabbitMQ: {first!.GetType().Name}: {first.Message}",
                failed,
                first);
        }
    }
}
