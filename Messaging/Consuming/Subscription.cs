using Microsoft.Extensions.DependencyInjection;

namespace Platform.Messaging.Consuming;

/// <summary>
/// One event type the service consumes and the handler that applies it. <see cref="MaxBatchSize"/> is 1 for a
/// per-event handler; a batch handler gets up to that many events of the type at once.
/// </summary>
internal sealed record Subscription(string TypeName, Type EventType, Type HandlerType, int MaxBatchSize, bool IsBatch, SubscriptionInvoker Invoke);

internal delegate Task SubscriptionInvoker(
    IServiceProvider services, IReadOnlyList<IntegrationEvent> events, IntegrationEventContext context, CancellationToken cancellationToken);

internal static class SubscriptionFactory
{
    public static Subscription Single<TEvent, THandler>(string typeName)
        where TEvent : IntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent> =>
        new(typeName, typeof(TEvent), typeof(THandler), 1, IsBatch: false, static (services, events, context, cancellationToken) =>
            services.GetRequiredService<THandler>().HandleAsync((TEvent)events[0], context, cancellationToken));

    public static Subscription Batch<TEvent, THandler>(string typeName, int maxBatchSize)
        where TEvent : IntegrationEvent
        where THandler : class, IBatchIntegrationEventHandler<TEvent> =>
        new(typeName, typeof(TEvent), typeof(THandler), maxBatchSize, IsBatch: true, static (services, events, context, cancellationToken) =>
            services.GetRequiredService<THandler>().HandleAsync(events.Cast<TEvent>().ToList(), context, cancellationToken));
}
