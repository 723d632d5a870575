using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
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
    /// check named <paramref name="connectionName"/> unless <see cref="RabbitMQClientSettings.DisableHealthChecks"/>.
    /// Tracing comes from the client's own activity sources, which <c>AddServiceDefaults</c> already listens to.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// At start-up, or when the connection provider is first built, naming every missing or malformed connection string.
    /// </exception>
    public static void AddRabbitMQClient(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<RabbitMQClientSettings>? configureSettings = null,
        Action<ConnectionFactory>? configureConnectionFactory = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ClientSettings.Add(builder.Services, RabbitMQClientSettings.SectionName, connectionName, RabbitMQClientSettings.Format, configureSettings);
        var applicationName = builder.Environment.ApplicationName;

        builder.Services.AddSingleton(provider =>
        {
            var (settings, connectionString) = ClientSettings.GetChecked<RabbitMQClientSettings>(provider, connectionName);
            var factory = new ConnectionFactory { ClientProvidedName = applicationName, Uri = new Uri(connectionString) };
            configureConnectionFactory?.Invoke(factory);
            return new RabbitMQConnectionProvider(
                factory,
                connectionName,
                settings,
                provider.GetRequiredService<ILogger<RabbitMQConnectionProvider>>());
        });

        // For constructors that cannot await, as Aspire does: block once on the shared attempt. The attempt runs
        // on the thread pool, and ASP.NET Core has no synchronization context to deadlock on.
        builder.Services.AddSingleton(provider =>
            provider.GetRequiredService<RabbitMQConnectionProvider>().GetConnectionAsync().GetAwaiter().GetResult());

        // Decided when the health checks are first built rather than now, so that DisableHealthChecks set in
        // configuration (Aspire:RabbitMQ:Client[:<name>]:DisableHealthChecks, Aspire's keys) counts as well as the
        // delegate, including configuration a test host adds when the app is built.
        builder.Services.AddHealthChecks();
        builder.Services.AddOptions<HealthCheckServiceOptions>()
            .Configure<IOptionsMonitor<RabbitMQClientSettings>>((options, settings) =>
            {
                if (settings.Get(connectionName).DisableHealthChecks) return;

                options.Registrations.Add(ClientSettings.HealthCheck(
                    connectionName,
                    provider => new RabbitMQHealthCheck(
                        () => provider.GetRequiredService<RabbitMQConnectionProvider>(),
                        connectionName,
                        ClientSettings.Get<RabbitMQClientSettings>(provider, connectionName))));
            });
    }
}
