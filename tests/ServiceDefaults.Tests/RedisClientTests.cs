using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.Tests.Infrastructure;
using StackExchange.Redis;

namespace Platform.ServiceDefaults.Tests;

[Collection(ServersCollection.Name)]
public sealed class RedisClientTests(Servers servers)
{
    private static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(2);

    [Fact]
    public async Task Registered_multiplexer_sets_and_gets_against_the_server()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["cache"] = servers.Redis });
        builder.AddRedisClient("cache");
        using var host = builder.Build();
        await host.StartAsync();

        var database = host.Services.GetRequiredService<IConnectionMultiplexer>().GetDatabase();
        var key = $"servicedefaults-tests:{Guid.NewGuid():n}";
        Assert.True(await database.StringSetAsync(key, "forty-two", TimeSpan.FromMinutes(1)));

        Assert.Equal("forty-two", (string?)await database.StringGetAsync(key));
        await host.StopAsync();
    }

    [Fact]
    public async Task Health_check_named_after_the_connection_reports_healthy()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["cache"] = servers.Redis });
        builder.AddRedisClient("cache");
        using var host = builder.Build();
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.True(report.Entries.ContainsKey("cache"), $"checks: {string.Join(", ", report.Entries.Keys)}");
        Assert.Equal(HealthStatus.Healthy, report.Entries["cache"].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Stopped_redis_is_reported_unhealthy_within_the_timeout_and_healthy_again_after_restart()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["cache"] = servers.Redis });
        builder.AddRedisClient("cache", settings => settings.HealthCheckTimeout = HealthCheckTimeout);
        using var host = builder.Build();
        await host.StartAsync();
        var health = host.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Healthy, (await CheckAsync(health)).Status);

        try
        {
            await servers.StopRedisAsync();

            var clock = Stopwatch.StartNew();
            var down = await CheckAsync(health);
            clock.Stop();

            Assert.Equal(HealthStatus.Unhealthy, down.Status);
            Assert.True(clock.Elapsed < HealthCheckTimeout + TimeSpan.FromSeconds(1), $"the check took {clock.Elapsed.TotalSeconds:0.0} s");
            Assert.DoesNotContain(RedisPassword(), $"{down.Description} {down.Exception}");
        }
        finally
        {
            await servers.StartRedisAsync();
        }

        await Eventually.HoldsAsync(
            async () => (await CheckAsync(health)).Status == HealthStatus.Healthy,
            TimeSpan.FromSeconds(20),
            "the redis check to report Healthy after redis-server restarted");
        await host.StopAsync();
    }

    private static async Task<HealthReportEntry> CheckAsync(HealthCheckService health) =>
        (await health.CheckHealthAsync(registration => registration.Name == "cache")).Entries["cache"];

    private string RedisPassword() => ConfigurationOptions.Parse(servers.Redis).Password!;
}
