using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.ServiceDefaults.Health;

namespace Platform.ServiceDefaults.RabbitMQ;

/// <summary>Healthy when the service's RabbitMQ connection exists and is open.</summary>
/// <remarks>
/// The first probe also starts the first connection attempt, so a broker outage shows up before any traffic.
/// A connection that exists but is closed is one the client's automatic recovery is still reopening.
/// </remarks>
/// <param name="connections">Resolved when the check runs, so that a provider that cannot be built is reported, not thrown.</param>
internal sealed class RabbitMQHealthCheck(Func<RabbitMQConnectionProvider> connections, string connectionName, RabbitMQClientSettings settings)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        DependencyProbe.RunAsync(context, "RabbitMQ", settings.HealthCheckTimeout, async token =>
        {
            try
            {
                var connection = await connections().GetConnectionAsync(token);
                return connection.IsOpen ? null : $"RabbitMQ connection '{connectionName}' is closed; the client is reopening it.";
            }
            catch (RabbitMQAuthenticationException refused)
            {
                // Our own message: it names the connection and the setting, never the credentials.
                return refused.Message;
            }
        }, cancellationToken);
}
