using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using Platform.ServiceDefaults;
using Platform.ServiceDefaults.Health;

namespace Microsoft.Extensions.Hosting;

/// <summary>
/// What every Platform service shares: telemetry, health endpoints, service discovery, HTTP resilience and a clock.
/// Shaped like the Aspire ServiceDefaults template so that a reader who knows one knows the other.
/// </summary>
public static class Extensions
{
    private const string HealthEndpointPath = "/health";
    private const string AlivenessEndpointPath = "/alive";
    private const string LiveTag = "live";

    public static TBuilder AddServiceDefaults<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        builder.ConfigureOpenTelemetry();

        builder.AddDefaultHealthChecks();

        builder.Services.AddServiceDiscovery();

        builder.Services.ConfigureHttpClientDefaults(http =>
        {
            http.AddStandardResilienceHandler();
            http.AddServiceDiscovery();
        });

        // Services take the clock from DI so tests can swap in a fake one.
        builder.Services.TryAddSingleton(TimeProvider.System);

        return builder;
    }

    /// <summary>
    /// OpenTelemetry logs, metrics and traces, exported over OTLP — when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> names a
    /// collector (Aspire's dashboard sets it for every project). Without one nobody would read what is recorded, and
    /// recording it is not free: the instrumentation runs on every request and every call a service makes (at the
    /// gateway about 5% of its CPU, bench/GatewayEdge). W3C trace context flows either way: ASP.NET Core starts a
    /// request activity from the incoming <c>traceparent</c> whenever logging is on, and <c>HttpClient</c> passes the
    /// current one on.
    /// </summary>
    public static TBuilder ConfigureOpenTelemetry<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        if (!HasOtlpEndpoint(builder.Configuration))
        {
            return builder;
        }

        builder.Logging.AddOpenTelemetry(logging =>
        {
            logging.IncludeFormattedMessage = true;
            logging.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .WithMetrics(metrics => metrics
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddMeter(TelemetrySources.Platform))
            .WithTracing(tracing => tracing
                .AddSource(builder.Environment.ApplicationName)
                .AddSource(TelemetrySources.Platform)
                .AddSource(TelemetrySources.Npgsql)
                .AddSource(TelemetrySources.RabbitMQPublisher)
                .AddSource(TelemetrySources.RabbitMQSubscriber)
                // Probes arrive every few seconds; tracing them would bury the requests that matter.
                .AddAspNetCoreInstrumentation(aspNetCore => aspNetCore.Filter = context =>
                    !context.Request.Path.StartsWithSegments(HealthEndpointPath)
                    && !context.Request.Path.StartsWithSegments(AlivenessEndpointPath))
                .AddHttpClientInstrumentation())
            .UseOtlpExporter();

        return builder;
    }

    private static bool HasOtlpEndpoint(IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]);

    public static TBuilder AddDefaultHealthChecks<TBuilder>(this TBuilder builder) where TBuilder : IHostApplicationBuilder
    {
        // "self" only says the process answers; a restart is the remedy when it does not.
        builder.Services.AddHealthChecks()
            .AddCheck("self", () => HealthCheckResult.Healthy(), [LiveTag]);

        return builder;
    }

    /// <summary>
    /// Maps <c>/health</c> (every check must pass: ready for traffic) and <c>/alive</c> (only checks tagged
    /// <c>live</c>: the process should keep running).
    /// </summary>
    /// <param name="app">The application.</param>
    /// <param name="onlyOnPort">
    /// When given (the gateway's internal port), both endpoints answer only connections that arrived on that port, so
    /// a service can keep them off its public listener. The port a connection arrived on decides, not the Host header:
    /// a client writes that header as it likes, and behind a proxy (Aspire's DCP) it names the proxy's port.
    /// </param>
    public static WebApplication MapDefaultEndpoints(this WebApplication app, int? onlyOnPort = null)
    {
        var healthOptions = new HealthCheckOptions { ResponseWriter = HealthResponseWriter.WriteAsync };
        var aliveOptions = new HealthCheckOptions
        {
            Predicate = registration => registration.Tags.Contains(LiveTag),
            ResponseWriter = HealthResponseWriter.WriteAsync,
        };

        if (onlyOnPort is int port)
        {
            app.UseHealthChecks(HealthEndpointPath, port, healthOptions);
            app.UseHealthChecks(AlivenessEndpointPath, port, aliveOptions);
            return app;
        }

        app.MapHealthChecks(HealthEndpointPath, healthOptions);
        app.MapHealthChecks(AlivenessEndpointPath, aliveOptions);
        return app;
    }
}
