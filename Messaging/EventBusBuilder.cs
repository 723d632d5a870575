using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.Messaging.Consuming;
using Platform.Messaging.Options;
using Platform.Messaging.Outbox;
using Platform.Messaging.Serialization;

namespace Platform.Messaging;

/// <summary>Configures what the service consumes and how: returned by <c>AddEventBus</c>, in the style of eShop's.</summary>
public sealed class EventBusBuilder
{
    private readonly IHostApplicationBuilder _host;
    private readonly SubscriptionRegistry _subscriptions;
    private bool _inbox;
    private bool _outbox;

    internal EventBusBuilder(IHostApplicationBuilder host, string serviceName, SubscriptionRegistry subscriptions)
    {
        _host = host;
        _subscriptions = subscriptions;
        ServiceName = serviceName;
    }

    public string ServiceName { get; }

    public IServiceCollection Services => _host.Services;

    /// <summary>Handles each <typeparamref name="TEvent"/> on its own (one transaction per event).</summary>
    public EventBusBuilder AddSubscription<TEvent, THandler>()
        where TEvent : IntegrationEvent
        where THandler : class, IIntegrationEventHandler<TEvent>
    {
        _subscriptions.Add(SubscriptionFactory.Single<TEvent, THandler>(EventTypeNames.Of(typeof(TEvent))));
        Services.TryAddTransient<THandler>();
        return this;
    }

    /// <summary>Handles <typeparamref name="TEvent"/>s in batches of up to <paramref name="maxBatchSize"/> (one transaction per batch).</summary>
    public EventBusBuilder AddBatchSubscription<TEvent, THandler>(int maxBatchSize = 500)
        where TEvent : IntegrationEvent
        where THandler : class, IBatchIntegrationEventHandler<TEvent>
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(maxBatchSize, 10_000);
        _subscriptions.Add(SubscriptionFactory.Batch<TEvent, THandler>(EventTypeNames.Of(typeof(TEvent)), maxBatchSize));
        Services.TryAddTransient<THandler>();
        return this;
    }

    /// <summary>
    /// Makes every subscription idempotent by event id: the id goes into the <c>inbox</c> table in the same
    /// transaction as the handler's work (the registered <c>NpgsqlDataSource</c>), and a redelivery is acknowledged
    /// without calling the handler again.
    /// </summary>
    public EventBusBuilder WithInbox()
    {
        if (!_inbox)
        {
            _inbox = true;
            _subscriptions.UseInbox = true;
            Services.AddHostedService(provider => ActivatorUtilities.CreateInstance<InboxJanitor>(
                provider, DataSourceRequirement.Get(provider, "WithInbox()")));
        }

        return this;
    }

    /// <summary>
    /// Adds <see cref="IOutbox"/> and its relay, which publishes committed rows with confirms and retries failed ones
    /// with capped backoff until they are sent. Options: <c>Messaging:Outbox</c> (<see cref="OutboxOptions"/>).
    /// </summary>
    public EventBusBuilder AddOutbox()
    {
        if (_outbox)
        {
            return this;
        }

        _outbox = true;
        Services.AddOptions<OutboxOptions>()
            .Bind(_host.Configuration.GetSection(OutboxOptions.SectionName))
            .ValidateOnStart();
        Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OutboxOptions>, OutboxOptionsValidator>());
        Services.TryAddSingleton<IOutbox, Outbox.Outbox>();
        Services.TryAddSingleton<OutboxSignal>();
        Services.TryAddSingleton<OutboxListener>();
        Services.TryAddSingleton<OutboxPass>();
        Services.AddHostedService(provider => ActivatorUtilities.CreateInstance<OutboxRelay>(
            provider, DataSourceRequirement.Get(provider, "AddOutbox()")));
        return this;
    }
}
