using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.ServiceDefaults.Health;

namespace Platform.ServiceDefaults.Redis;

/// <summary>Healthy when Redis answers <c>PING</c>.</summary>
/// <remarks>
/// The first connection blocks for several seconds while Redis is down; the probe waits for it only until its
/// timeout, and the attempt carries on for the next probe.
/// </remarks>
internal sealed class RedisHealthCheck(RedisConnectionSource connections, StackExchangeRedisSettings settings)
    : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        DependencyProbe.RunAsync(context, "Redis", settings.HealthCheckTimeout, async token =>
        {
            var multiplexer = await connections.GetAsync().WaitAsync(token);
            // PingAsync takes no token; WaitAsync bounds how long the probe waits for it.
            await multiplexer.GetDatabase().PingAsync().WaitAsync(token);
            return null;
        }, cancellationToken);
}
