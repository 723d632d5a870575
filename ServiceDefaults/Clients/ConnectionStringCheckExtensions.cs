using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Platform.ServiceDefaults.Clients;

namespace Microsoft.Extensions.Hosting;

/// <summary>A clear start-up error for a client registered with one of Aspire's integrations.</summary>
public static class ConnectionStringCheckExtensions
{
    /// <summary>
    /// Stops the start-up, naming every missing or malformed connection string of the app at once, when
    /// <c>ConnectionStrings:&lt;connectionName&gt;</c> is missing or is not what <typeparamref name="TClient"/> needs.
    /// Building the client fails the same way, since a hosted service that takes it is built before the host starts.
    /// </summary>
    /// <typeparam name="TClient">
    /// What the integration registered: <c>NpgsqlDataSource</c> (<c>AddNpgsqlDataSource</c>),
    /// <c>IConnectionMultiplexer</c> (<c>AddRedisClient</c>) or <c>IConnection</c> (<c>AddRabbitMQClient</c>).
    /// </typeparam>
    /// <remarks>Call it after the integration's own registration, whose <typeparamref name="TClient"/> it wraps.</remarks>
    public static IHostApplicationBuilder RequireConnectionString<TClient>(this IHostApplicationBuilder builder, string connectionName)
        where TClient : class
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);
        var services = builder.Services;
        var index = services.ToList().FindLastIndex(descriptor => descriptor.ServiceType == typeof(TClient) && !descriptor.IsKeyedService);
        if (index < 0)
        {
            throw new InvalidOperationException(
                $"RequireConnectionString<{typeof(TClient).Name}>(\"{connectionName}\") needs the client registered first.");
        }

        var registration = services[index];

        services.AddSingleton(new RequiredConnectionString(connectionName, ConnectionStringFormat.For<TClient>()));
        services.TryAddSingleton<ConnectionStringCheck>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConnectionStringCheck>(
            provider => provider.GetRequiredService<ConnectionStringCheck>()));

        if (registration.ImplementationFactory is { } create)
        {
            // The check first: the integration's own error would name this connection only, or quote the value.
            services[index] = ServiceDescriptor.Describe(typeof(TClient), provider =>
            {
                provider.GetRequiredService<ConnectionStringCheck>().ThrowIfAnyProblem();
                return create(provider);
            }, registration.Lifetime);
        }

        return builder;
    }
}
