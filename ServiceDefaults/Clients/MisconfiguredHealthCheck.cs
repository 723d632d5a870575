using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Platform.ServiceDefaults.Clients;

/// <summary>Stands in for a client's health check when its connection string is missing or malformed.</summary>
/// <param name="problem">The connection string check's own words: they name the connection, never its value.</param>
internal sealed class MisconfiguredHealthCheck(string problem) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(new HealthCheckResult(context.Registration.FailureStatus, problem));
}
