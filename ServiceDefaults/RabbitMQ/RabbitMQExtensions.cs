using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Platform.ServiceDefaults.Clients;
using Platform.ServiceDefaults.RabbitMQ;
using RabbitMQ.Client;

namespace Microsoft.Extensions.Hosting;

/// <summary>RabbitMQ client registration, shaped like Aspire's <c>Aspire.RabbitMQ.Client</c> integration.</summary>
public static class RabbitMQExtensions
{
    /// <summary>
    /// Registers a <see cref="RabbitMQConnectionProvider"/> and a singleton <see cref="IConnection"/> for
    /// <c>ConnectionStrings:&lt;connectionName&gt;</c> (<c>amqp://user:password@host:port[/vhost]</c>), and a health
    /// check named <paramref name="connectionName"/>. Tracing comes from the client's own activity sources, which
    /// <c>AddServiceDefaults</c> already listens to.
    /// </summary>
    /// <exception cref="InvalidOperationException">At start-up, when the connection string is missing.</exception>
    public static void AddRabbitMQClient(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<RabbitMQClientSettings>? configureSettings = null,
        Action<ConnectionFactory>? configureConnectionFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ClientSettings.Add(builder.Services, RabbitMQClientSettings.SectionName, connectionName, configureSettings);
        var applicationName = builder.Environment.ApplicationName;

        builder.Services.AddSingleton(provider =>
        {
            var settings = ClientSettings.Get<RabbitMQClientSettings>(provider, connectionName);
            var factory = CreateConnectionFactory(
                ClientSettings.RequireConnectionString(settings, connectionName), connectionName, applicationName);
            configureConnectionFactory?.Invoke(factory);
            return new RabbitMQConnectionProvider(
                factory,
                connectionName,
                settings,
                provider.GetRequiredService<TimeProvider>(),
                provider.GetRequiredService<ILogger<RabbitMQConnectionProvider>>());
        });

        // For constructors that cannot await, as Aspire does: block once on the shared attempt. The attempt runs
        // on the thread pool, and ASP.NET Core has no synchronization context to deadlock on.
        builder.Services.AddSingleton(provider =>
            provider.GetRequiredService<RabbitMQConnectionProvider>().GetConnectionAsync().GetAwaiter().GetResult());

        var registration = new RabbitMQClientSettings();
        configureSettings?.Invoke(registration);
        if (registration.DisableHealthChecks) return;

        builder.Services.AddHealthChecks().Add(new HealthCheckRegistration(
            connectionName,
            provider => new RabbitMQHealthCheck(
                provider.GetRequiredService<RabbitMQConnectionProvider>(),
                ClientSettings.Get<RabbitMQClientSettings>(provider, connectionName),
                provider.GetRequiredService<TimeProvider>()),
            failureStatus: default,
            tags: default));
    }

    private static ConnectionFactory CreateConnectionFactory(string connectionString, string connectionName, string applicationName)
    {
        var factory = new ConnectionFactory { ClientProvidedName = applicationName };
        try
        {
            factory.Uri = new Uri(connectionString);
        }
        catch (Exception exception) when (exception is UriFormatException or ArgumentException)
        {
            // The value itself stays out of the message: it carries the password.
            throw new InvalidOperationException(
                $"Connection string '{connectionName}' is not an AMQP URI of the form amqp://user:password@host:port[/vhost].",
                exception);
        }

        return factory;
    }
}
