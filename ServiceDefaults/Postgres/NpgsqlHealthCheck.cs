using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Platform.ServiceDefaults.Health;

namespace Platform.ServiceDefaults.Postgres;

/// <summary>Healthy when PostgreSQL answers <c>SELECT 1</c> through the service's own data source.</summary>
internal sealed class NpgsqlHealthCheck(NpgsqlDataSource dataSource, NpgsqlSettings settings, TimeProvider timeProvider)
    : IHealthCheck
{
    public const string Query = "SELECT 1";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        DependencyProbe.RunAsync(context, "PostgreSQL", settings.HealthCheckTimeout, timeProvider, async token =>
        {
            await using var command = dataSource.CreateCommand(Query);
            await command.ExecuteScalarAsync(token);
            return true;
        }, cancellationToken);
}
