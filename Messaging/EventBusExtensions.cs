using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Messaging;
using Platform.Messaging.Consuming;
using Platform.Messaging.DeadLettering;
using Platform.Messaging.Options;
using Platform.Messaging.Publishing;
using Platform.Messaging.Transport;
using RabbitMQ.Client;

namespace Microsoft.Extensions.Hosting;

/// <summary>Registration of the Platform event bus (RabbitMQ topic exchange <c>platform.events</c>).</summary>
public static class EventBusExtensions
{
    /// <summary>
    /// Adds <see cref="IEventPublisher"/>, <see cref="DeadLetters"/> and, once subscriptions are added, the consumer of
    /// the quorum queue named <paramref name="serviceName"/>. Uses the RabbitMQ connection of
    /// <c>ConnectionStrings:&lt;connectionName&gt;</c>, Aspire's <c>AddRabbitMQClient</c> (registered here unless the
    /// service already did). Options:
    /// <c>Messaging:EventBus</c> (<see cref="EventBusOptions"/>), validated at start-up.
    /// </summary>
    public static EventBusBuilder AddEventBus(this IHostApplicationBuilder builder, string connectionName, string serviceName)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);
        ArgumentException.ThrowIfNullOrWhiteSpace(serviceName);
        var services = builder.Services;
        if (services.Any(descriptor => descriptor.ServiceType == typeof(SubscriptionRegistry)))
        {
            throw new InvalidOperationException("AddEventBus was already called: a service has one event bus.");
        }

        if (!services.Any(descriptor => descriptor.ServiceType == typeof(IConnection) && !descriptor.IsKeyedService))
        {
            builder.AddRabbitMQClient(connectionName, configureConnectionFactory: factory => factory.ClientProvidedName = serviceName);
        }

        builder.RequireConnectionString<IConnection>(connectionName);

        services.AddOptions<EventBusOptions>()
            .Bind(builder.Configuration.GetSection(EventBusOptions.SectionName))
            .Configure(options => options.ServiceName = serviceName)
            .ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<EventBusOptions>, EventBusOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);

        var subscriptions = new SubscriptionRegistry();
        services.AddSingleton(subscriptions);
        services.AddSingleton(provider => new BrokerConnection(provider, connectionName, provider.GetRequiredService<ILogger<BrokerConnection>>()));
        services.AddSingleton<ChannelPool>();
        services.AddSingleton<ConfirmedPublisher>();
        services.AddSingleton<IEventPublisher, EventPublisher>();
        services.AddSingleton<DeadLetterPublisher>();
        services.AddSingleton(provider => new DeadLetters(
            provider.GetRequiredService<BrokerConnection>(),
            provider.GetRequiredService<ConfirmedPublisher>(),
            provider.GetRequiredService<IOptions<EventBusOptions>>(),
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<DeadLetters>>()));
        services.AddSingleton<HandlerRunner>();
        services.AddSingleton<HandlerFailures>();
        services.AddSingleton<DeliveryProcessor>();
        services.AddHostedService<EventConsumer>();

        return new EventBusBuilder(builder, serviceName, subscriptions);
    }
}
