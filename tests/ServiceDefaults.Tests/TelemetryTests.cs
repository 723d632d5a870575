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
    public void With_a_collector_traces_and_metrics_are_recorded_for_export()
    {
        // Nothing listens there; the providers exist all the same, and have nothing to flush.
        using var host = Build(endpoint: "http://127.0.0.1:9");

        Assert.NotNull(host.Services.GetService<TracerProvider>());
        Assert.NotNull(host.Services.GetService<MeterProvider>());
    }

    private static IHost Build(string? endpoint)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = "servicedefaults-tests",
            EnvironmentName = Environments.Production,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = endpoint });
        builder.AddServiceDefaults();
        return builder.Build();
    }
}
