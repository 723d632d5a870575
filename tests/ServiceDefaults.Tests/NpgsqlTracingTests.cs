using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Tests.Infrastructure;

namespace Platform.ServiceDefaults.Tests;

[Collection(ServersCollection.Name)]
public sealed class NpgsqlTracingTests(Servers servers) : IDisposable
{
    private readonly ConcurrentQueue<Activity> _activities = new();
    private ActivityListener? _listener;

    [Fact]
    public async Task Command_through_the_registered_data_source_is_traced_under_the_Npgsql_source()
    {
        Listen();
        var marker = $"trace-{Guid.NewGuid():n}";
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["tracedb"] = servers.Postgres });
        builder.AddNpgsqlDataSource("tracedb");
        using var host = builder.Build();
        await host.StartAsync();

        await using (var command = host.Services.GetRequiredService<NpgsqlDataSource>().CreateCommand($"SELECT '{marker}'"))
        {
            Assert.Equal(marker, await command.ExecuteScalarAsync());
        }

        var traced = _activities.Where(activity => Mentions(activity, marker)).ToList();
        var activity = Assert.Single(traced);
        Assert.Equal(ActivityKind.Client, activity.Kind);
        Assert.True(Mentions(activity, "tracedb"), "the span does not name the data source: " + Describe(activity));
        await host.StopAsync();
    }

    [Fact]
    public async Task Health_probe_query_is_not_traced()
    {
        Listen();
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["probedb"] = servers.Postgres });
        builder.AddNpgsqlDataSource("probedb");
        using var host = builder.Build();
        await host.StartAsync();
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        // Open the pool first, so that any connection-level span is not mistaken for the probe's.
        await using (var warmUp = dataSource.CreateCommand("SELECT 'warm-up'"))
        {
            await warmUp.ExecuteScalarAsync();
        }

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(HealthStatus.Healthy, report.Entries["probedb"].Status);
        // The filter must be what hides the probe, not a listener that sees nothing at all.
        Assert.Contains(_activities, activity => Mentions(activity, "warm-up"));
        Assert.DoesNotContain(_activities, activity => Mentions(activity, "probedb") && Mentions(activity, "SELECT 1"));
        await host.StopAsync();
    }

    public void Dispose() => _listener?.Dispose();

    private void Listen()
    {
        _listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "Npgsql",
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = _activities.Enqueue,
        };
        ActivitySource.AddActivityListener(_listener);
    }

    private static bool Mentions(Activity activity, string text) =>
        activity.DisplayName.Contains(text, StringComparison.Ordinal)
        || activity.TagObjects.Any(tag => tag.Value?.ToString()?.Contains(text, StringComparison.Ordinal) == true);

    private static string Describe(Activity activity) =>
        $"{activity.DisplayName} [{string.Join(", ", activity.TagObjects.Select(tag => $"{tag.Key}={tag.Value}"))}]";
}
