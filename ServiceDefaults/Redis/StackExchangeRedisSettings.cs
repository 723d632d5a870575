using Platform.ServiceDefaults.Clients;
using StackExchange.Redis;

namespace Platform.ServiceDefaults.Redis;

/// <summary>
/// Settings for a Redis connection, read from <c>Aspire:StackExchange:Redis</c>,
/// <c>Aspire:StackExchange:Redis:&lt;name&gt;</c> and <c>ConnectionStrings:&lt;name&gt;</c> (Aspire's keys).
/// </summary>
public sealed class StackExchangeRedisSettings : IConnectionStringSettings
{
    internal const string SectionName = "Aspire:StackExchange:Redis";

    internal static ConnectionStringFormat Format { get; } = new(
        "a StackExchange.Redis configuration string (host:port,password=…)",
        connectionString => ConfigurationOptions.Parse(connectionString));

    /// <summary>A StackExchange.Redis configuration string: <c>host:port,password=…</c>.</summary>
    public string? ConnectionString { get; set; }

    /// <summary>How long the health check waits for <c>PING</c>.</summary>
    public TimeSpan HealthCheckTimeout { get; set; } = TimeSpan.FromSeconds(5);
}
