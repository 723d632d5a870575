using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Npgsql;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Platform.ServiceDefaults.Clients;
using Platform.ServiceDefaults.Postgres;

namespace Microsoft.Extensions.Hosting;

/// <summary>PostgreSQL client registration, shaped like Aspire's <c>Aspire.Npgsql</c> integration.</summary>
public static class NpgsqlExtensions
{
    /// <summary>
    /// Registers a singleton <see cref="NpgsqlDataSource"/> built from <c>ConnectionStrings:&lt;connectionName&gt;</c>,
    /// a health check named <paramref name="connectionName"/> and Npgsql tracing and metrics.
    /// </summary>
    /// <exception cref="InvalidOperationException">
    /// At start-up, or when the data source is first built, naming every missing or malformed connection string.
    /// </exception>
    public static void AddNpgsqlDataSource(
        this IHostApplicationBuilder builder,
        string connectionName,
        Action<NpgsqlSettings>? configureSettings = null,
        Action<NpgsqlDataSourceBuilder>? configureDataSourceBuilder = null) =>
        builder.AddNpgsqlDataSource(connectionName, serviceKey: null, configureSettings, configureDataSourceBuilder);

    /// <summary>
    /// Like <see cref="AddNpgsqlDataSource(IHostApplicationBuilder,string,Action{NpgsqlSettings}?,Action{NpgsqlDataSourceBuilder}?)"/>,
    /// but registers the data source under the key <paramref name="name"/>, for a service that talks to more than one database.
    /// </summary>
    public static void AddKeyedNpgsqlDataSource(
        this IHostApplicationBuilder builder,
        string name,
        Action<NpgsqlSettings>? configureSettings = null,
        Action<NpgsqlDataSourceBuilder>? configureDataSourceBuilder = null) =>
        builder.AddNpgsqlDataSource(name, serviceKey: name, configureSettings, configureDataSourceBuilder);

    private static void AddNpgsqlDataSource(
        this IHostApplicationBuilder builder,
        string connectionName,
        string? serviceKey,
        Action<NpgsqlSettings>? configureSettings,
        Action<NpgsqlDataSourceBuilder>? configureDataSourceBuilder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ClientSettings.Add(builder.Services, NpgsqlSettings.SectionName, connectionName, NpgsqlSettings.Format, configureSettings);

        NpgsqlDataSource CreateDataSource(IServiceProvider provider)
        {
            var (_, connectionString) = ClientSettings.GetChecked<NpgsqlSettings>(provider, connectionName);
            var dataSourceBuilder = new NpgsqlDataSourceBuilder(connectionString)
            {
                Name = connectionName,
            };
            dataSourceBuilder.UseLoggerFactory(provider.GetService<ILoggerFactory>());
            // The probe runs every few seconds; its spans would drown the queries worth looking at.
            dataSourceBuilder.ConfigureTracing(tracing =>
                tracing.ConfigureCommandFilter(command => command.CommandText != NpgsqlHealthCheck.Query));
            configureDataSourceBuilder?.Invoke(dataSourceBuilder);
            return dataSourceBuilder.Build();
        }

        if (serviceKey is null)
        {
            builder.Services.AddSingleton(CreateDataSource);
        }
        else
        {
            builder.Services.AddKeyedSingleton(serviceKey, (provider, _) => CreateDataSource(provider));
        }

        builder.Services.AddHealthChecks().Add(ClientSettings.HealthCheck(
            connectionName,
            provider => new NpgsqlHealthCheck(
                () => serviceKey is null
                    ? provider.GetRequiredService<NpgsqlDataSource>()
                    : provider.GetRequiredKeyedService<NpgsqlDataSource>(serviceKey),
                ClientSettings.Get<NpgsqlSettings>(provider, connectionName))));

        builder.Services.AddOpenTelemetry()
            .WithTracing(tracing => tracing.AddNpgsql())
            .WithMetrics(metrics => metrics.AddNpgsqlInstrumentation());
    }
}
