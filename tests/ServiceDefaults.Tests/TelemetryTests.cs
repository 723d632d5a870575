using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Platform.ServiceDefaults.Tests;

/// <summary>OpenTelemetry records only when there is a collector to export to (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>).</summary>
public sealed class TelemetryTests
{
    [Fact]
    public void Without_a_collector_nothing_is_recorded()
    {
        using var host = Build(endpoint: null);

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void Without_a_collector_the_client_integrations_record_nothing_either()
    {
        // Aspire's integrations add tracing and metrics of their own unless told not to.
        using var host = Build(endpoint: null, builder =>
        {
            builder.AddNpgsqlDataSource("db");
            builder.AddRedisClient("cache");
            builder.AddRabbitMQClient("bus");
        });

        Assert.Null(host.Services.GetService<TracerProvider>());
        Assert.Null(host.Services.GetService<MeterProvider>());
    }

    [Fact]
    public void A_client_setting_of_the_service_wins_over_the_default_without_a_collector()
    {
        using var host = Build(endpoint: null, builder =>
        {
            builder.Configuration["Aspire:Npgsql:DisableTracing"] = "false";
            builder.AddNpgsqlDataSource("db");
        });

        Assert.NotNull(host.Services.GetService<TracerProvider>());
    }

    [Fact]
    public void With_a_collector_traces_and_metrics_are_recorded_for_export()
    {
        // Nothing listens there; the providers exist all the same, and have nothing to flush.
        using var host = Build(endpoint: "http://127.0.0.1:9");

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    private static IHost Build(string? endpoint, Action<HostApplicationBuilder>? addClients = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "servicedefaults-tests",
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint,
            ["ConnectionStrings:db"] = "Host=127.0.0.1;Username=app",
            ["ConnectionStrings:cache"] = "127.0.0.1:6379",
            ["ConnectionStrings:bus"] = "amqp://app:secret@127.0.0.1:5672",
        });
        builder.AddServiceDefaults();
        addClients?.Invoke(builder);
        return builder.Build();
    }
}
