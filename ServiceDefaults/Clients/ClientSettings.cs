using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Platform.ServiceDefaults.Clients;

/// <summary>
/// Resolves a client's settings the way Aspire client integrations do: the shared section, then the section
/// named after the connection, then <c>ConnectionStrings:&lt;name&gt;</c>, then the caller's delegate.
/// </summary>
/// <remarks>
/// Resolution is deferred to the first time the settings are needed, not done while the builder runs, so
/// configuration that a test host adds when the app is built (WebApplicationFactory does) is seen.
/// A missing or malformed connection string still fails the start-up, through <see cref="ConnectionStringCheck"/>.
/// </remarks>
internal static class ClientSettings
{
    public static void Add<TSettings>(
        IServiceCollection services,
        string sectionName,
        string connectionName,
        ConnectionStringFormat format,
        Action<TSettings>? configureSettings)
        where TSettings : class, IConnectionStringSettings
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionName);

        services.AddOptions<TSettings>(connectionName)
            .Configure<IConfiguration>((settings, configuration) =>
            {
                var section = configuration.GetSection(sectionName);
                section.Bind(settings);
                section.GetSection(connectionName).Bind(settings);

                if (configuration.GetConnectionString(connectionName) is { Length: > 0 } connectionString)
                {
                    settings.ConnectionString = connectionString;
                }
            });

        if (configureSettings is not null)
        {
            services.PostConfigure(connectionName, configureSettings);
        }

        services.AddSingleton(new RequiredConnectionString(
            connectionName,
            format,
            provider => Get<TSettings>(provider, connectionName).ConnectionString));
        services.TryAddSingleton<ConnectionStringCheck>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConnectionStringCheck>(
            provider => provider.GetRequiredService<ConnectionStringCheck>()));
        // Services built on these clients (the event bus) take the clock from DI, also in a host that skipped
        // AddServiceDefaults.
        services.TryAddSingleton(TimeProvider.System);
    }

    public static TSettings Get<TSettings>(IServiceProvider provider, string connectionName)
        where TSettings : class, IConnectionStringSettings =>
        provider.GetRequiredService<IOptionsMonitor<TSettings>>().Get(connectionName);

    /// <summary>
    /// The settings of a client about to be built, once every connection string of the app has passed the check.
    /// </summary>
    /// <exception cref="InvalidOperationException">Naming every missing or malformed connection string of the app.</exception>
    public static (TSettings Settings, string ConnectionString) GetChecked<TSettings>(IServiceProvider provider, string connectionName)
        where TSettings : class, IConnectionStringSettings
    {
        provider.GetRequiredService<ConnectionStringCheck>().ThrowIfAnyProblem();
        var settings = Get<TSettings>(provider, connectionName);
        return (settings, settings.ConnectionString!);
    }

    /// <summary>
    /// A health check registration whose check reports a bad connection string as unhealthy, in the check's own
    /// words, instead of letting the client's construction throw out of the health check service.
    /// </summary>
    /// <param name="createCheck">Must not build the client itself: the check does that when it runs, inside its try.</param>
    public static HealthCheckRegistration HealthCheck(string connectionName, Func<IServiceProvider, IHealthCheck> createCheck) =>
        new(
            connectionName,
            provider => provider.GetRequiredService<ConnectionStringCheck>().ProblemWith(connectionName) is { } problem
                ? new MisconfiguredHealthCheck(problem)
                : createCheck(provider),
            failureStatus: default,
            tags: default);
}
