using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
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
/// A missing connection string still fails the start-up, through <see cref="ConnectionStringCheck"/>.
/// </remarks>
internal static class ClientSettings
{
    public static void Add<TSettings>(
        IServiceCollection services,
        string sectionName,
        string connectionName,
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
            provider => Get<TSettings>(provider, connectionName).ConnectionString));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ConnectionStringCheck>());
        // Health checks and retries take the clock from DI, also in a host that skipped AddServiceDefaults.
        services.TryAddSingleton(TimeProvider.System);
    }

    public static TSettings Get<TSettings>(IServiceProvider provider, string connectionName)
        where TSettings : class, IConnectionStringSettings =>
        provider.GetRequiredService<IOptionsMonitor<TSettings>>().Get(connectionName);

    /// <summary>The connection string, or the start-up error that tells an operator exactly what to set.</summary>
    public static string RequireConnectionString(IConnectionStringSettings settings, string connectionName) =>
        string.IsNullOrWhiteSpace(settings.ConnectionString)
            ? throw MissingConnectionStrings([connectionName])
            : settings.ConnectionString;

    public static InvalidOperationException MissingConnectionStrings(IReadOnlyCollection<string> connectionNames) =>
        new(string.Join(
            Environment.NewLine,
            connectionNames.Select(name =>
                $"Connection string '{name}' is missing: set 'ConnectionStrings:{name}' in configuration " +
                $"or the environment variable 'ConnectionStrings__{name}'.")));
}
