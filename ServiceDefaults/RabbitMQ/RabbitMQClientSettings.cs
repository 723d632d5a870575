using Platform.ServiceDefaults.Clients;
using RabbitMQ.Client;

namespace Platform.ServiceDefaults.RabbitMQ;

/// <summary>
/// Settings for a RabbitMQ connection, read from <c>Aspire:RabbitMQ:Client</c>,
/// <c>Aspire:RabbitMQ:Client:&lt;name&gt;</c> and <c>ConnectionStrings:&lt;name&gt;</c> (Aspire's keys).
/// </summary>
public sealed class RabbitMQClientSettings : IConnectionStringSettings
{
    internal const string SectionName = "Aspire:RabbitMQ:Client";

    // The factory's setter refuses schemes other than amqp and amqps.
    internal static ConnectionStringFormat Format { get; } = new(
        "an AMQP URI (amqp://user:password@host:port[/vhost])",
        connectionString => _ = new ConnectionFactory { Uri = new Uri(connectionString) });

    /// <summary>An AMQP URI: <c>amqp://user:password@host:port[/vhost]</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How many times a failed first connection is retried before the attempt gives up; 0 disables retries.</summary>
    public int MaxConnectRetryCount { get; set; } = 5;

    /// <summary>The wait before the first retry; it doubles (with jitter) on each further retry.</summary>
    public TimeSpan ConnectRetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>The longest wait between two retries.</summary>
    public TimeSpan ConnectRetryMaxDelay { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Leaves the connection out of <c>/health</c>: for a service that keeps working while RabbitMQ is down (the
    /// gateway spools audit events), where readiness must not follow the broker. Read, like every other setting,
    /// from configuration and then the delegate, when the health checks are first built.
    /// </summary>
    public bool DisableHealthChecks { get; set; }

    /// <summary>How long the health check waits for the connection to exist.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
