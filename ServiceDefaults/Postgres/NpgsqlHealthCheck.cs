using Microsoft.Extensions.Diagnostics.HealthChecks;
using Npgsql;
using Platform.ServiceDefaults.Health;

namespace Platform.ServiceDefaults.Postgres;

/// <summary>Healthy when PostgreSQL answers <c>SELECT 1</c> through the service's own data source.</summary>
/// <param name="dataSource">Resolved when the check runs, so that a data source that cannot be built is reported, not thrown.</param>
internal sealed class NpgsqlHealthCheck(Func<NpgsqlDataSource> dataSource, NpgsqlSettings settings) : IHealthCheck
{
    public const string Query = "SELECT 1";

    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        DependencyProbe.RunAsync(context, "PostgreSQL", settings.HealthCheckTimeout, async token =>
        {
            await using var command = dataSource().CreateCommand(Query);
            await command.ExecuteScalarAsync(token);
            return null;
        }, cancellationToken);
}
