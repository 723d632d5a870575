using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Tests.Infrastructure;

namespace Platform.ServiceDefaults.Tests;

[Collection(ServersCollection.Name)]
public sealed class PostgresClientTests(Servers servers)
{
    [Fact]
    public async Task Registered_data_source_runs_queries_against_the_server()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["ledgerdb"] = servers.Postgres });
        builder.AddNpgsqlDataSource("ledgerdb");
        using var host = builder.Build();
        await host.StartAsync();

        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        await using var command = dataSource.CreateCommand("SELECT 40 + 2, current_setting('server_version_num')::int");
        await using var reader = await command.ExecuteReaderAsync();

        Assert.True(await reader.ReadAsync());
        Assert.Equal(42, reader.GetInt32(0));
        Assert.True(reader.GetInt32(1) > 0);
        await host.StopAsync();
    }

    [Fact]
    public async Task Health_check_named_after_the_connection_reports_healthy()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["ledgerdb"] = servers.Postgres });
        builder.AddNpgsqlDataSource("ledgerdb");
        using var host = builder.Build();
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.True(report.Entries.ContainsKey("ledgerdb"), $"checks: {string.Join(", ", report.Entries.Keys)}");
        Assert.Equal(HealthStatus.Healthy, report.Entries["ledgerdb"].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Keyed_data_source_is_resolved_by_its_name_and_checked_under_it()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["reportsdb"] = servers.Postgres });
        builder.AddKeyedNpgsqlDataSource("reportsdb");
        using var host = builder.Build();
        await host.StartAsync();

        var dataSource = host.Services.GetRequiredKeyedService<NpgsqlDataSource>("reportsdb");
        await using var command = dataSource.CreateCommand("SELECT 7");
        Assert.Equal(7, await command.ExecuteScalarAsync());
        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, report.Entries["reportsdb"].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Wrong_password_reports_unhealthy_without_revealing_the_password()
    {
        var wrongPassword = $"Wr0ng-{Guid.NewGuid():n}";
        var realPassword = new NpgsqlConnectionStringBuilder(servers.Postgres).Password!;
        var connectionString = new NpgsqlConnectionStringBuilder(servers.Postgres) { Password = wrongPassword }.ConnectionString;
        var logs = new CapturedLogs();
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["ledgerdb"] = connectionString }, logs);
        builder.AddNpgsqlDataSource("ledgerdb");
        using var host = builder.Build();
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["ledgerdb"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        var reported = $"{entry.Description} {entry.Exception}";
        Assert.DoesNotContain(wrongPassword, reported);
        Assert.DoesNotContain(realPassword, reported);
        Assert.Contains("PostgreSQL", entry.Description);
        Assert.DoesNotContain(logs.Lines, line => line.Contains(wrongPassword, StringComparison.Ordinal));
        await host.StopAsync();
    }
}
