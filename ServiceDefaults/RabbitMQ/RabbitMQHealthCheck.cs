using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.ServiceDefaults.Health;

namespace Platform.ServiceDefaults.RabbitMQ;

/// <summary>Healthy when the service's RabbitMQ connection exists and is open.</summary>
/// <remarks>
/// The first probe also starts the first connection attempt, so a broker outage shows up before any traffic.
/// A connection that exists but is closed is one the client's automatic recovery is still reopening.
/// </remarks>
internal sealed class RabbitMQHealthCheck(RabbitMQConnectionProvider connections, RabbitMQClientSettings settings, TimeProvider timeProvider)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        DependencyProbe.RunAsync(context, "RabbitMQ", settings.HealthCheckTimeout, timeProvider, async token =>
        {
            var connection = await connections.GetConnectionAsync(token);
            return connection.IsOpen;
        }, cancellationToken);
}
