using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Platform.ServiceDefaults.Postgres.Migrations;

/// <summary>
/// At start-up, before the service's other hosted services (outbox relays, consumers) touch a table: with
/// <c>Migrations:ApplyOnStartup</c> (development, tests, or one deliberate run of a new release in production) applies
/// every missing step; without it, refuses to start on a database that is behind this build, instead of failing
/// later on a missing column.
/// </summary>
internal sealed partial class SchemaMigrator(
    NpgsqlDataSource dataSource, IEnumerable<Schema> schemas, IServiceProvider services, IConfiguration configuration, ILogger<SchemaMigrator> logger)
    : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var apply = configuration.GetValue<bool>("Migrations:ApplyOnStartup");
        foreach (var schema in schemas)
        {
            if (apply)
            {
                var applied = await SchemaMigrations.ApplyAsync(dataSource, schema, services, cancellationToken);
                if (applied.Count > 0) LogApplied(logger, schema.Component, string.Join(", ", applied));
                continue;
            }

            var current = await SchemaMigrations.CurrentVersionAsync(dataSource, schema.Component, cancellationToken);
            if (current < schema.LatestVersion)
            {
                throw new SchemaMismatchException(
                    $"The database's '{schema.Component}' tables are at version {current}, this build needs {schema.LatestVersion}. "
                    + "Apply the migrations first: run this release once with Migrations__ApplyOnStartup=true.");
            }
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(1, LogLevel.Information, "Applied the {Component} schema's steps {Versions}")]
    private static partial void LogApplied(ILogger logger, string component, string versions);
}
