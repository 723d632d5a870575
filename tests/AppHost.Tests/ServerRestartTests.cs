using System.Diagnostics;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Platform.Hosting.Testing;

namespace Platform.AppHost.Tests;

/// <summary>
/// A server killed outright (kill -9) shows as ended (Finished, with its exit code), the AppHost's supervisor starts it again after a backoff, and
/// the services recover by themselves. In process (Aspire.Hosting.Testing), keys and what it needs: one start for all three.
/// </summary>
[Collection(AppHostRuns.Name)]
public sealed class ServerRestartTests(ServerRestartTests.Platform platform) : IClassFixture<ServerRestartTests.Platform>
{
    [Theory]
    [InlineData("postgres", "postgres")]
    [InlineData("redis", "redis-server")]
    [InlineData("messaging", "beam.smp")]
    public async Task A_server_killed_outright_shows_as_ended_is_started_again_and_keys_recovers(string server, string program)
    {
        var app = await platform.StartAsync();
        using var keys = app.CreateHttpClient("keys", "http");
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        Assert.True(await HealthyAsync(keys, timeout.Token), $"keys is not healthy to begin with.{Environment.NewLine}{app.Log.Tail("keys")}");
        var notifications = app.Application.ResourceNotifications;
        var exited = notifications.WaitForResourceAsync(server, e => e.Snapshot.State?.Text is { } s && KnownResourceStates.TerminalStates.Contains(s));

        // The server's own program (PostgreSQL's postmaster, Erlang's beam under rabbitmq-server's script), not a wrapper.
        var pid = ProcessTable.Find(ExecutablePid(app, server), program) ?? throw new InvalidOperationException($"No {program} under {server}.");
        using (var process = Process.GetProcessById(pid)) process.Kill();

        // DCP reports a process that ended (SIGKILL included) as Finished, and the dashboard shows it so.
        var stopped = await exited.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.True(stopped.Snapshot.State?.Text is "Exited" or "Finished", $"{server} is {stopped.Snapshot.State?.Text}");

        var back = await notifications.WaitForResourceAsync(server, e => e.Snapshot.State?.Text == KnownResourceStates.Running && e.Snapshot.HealthStatus == HealthStatus.Healthy, timeout.Token);
        Assert.NotEqual(pid, ExecutablePid(app, server));
        // The supervisor's own line in the server's console log (the dashboard shows it there too).
        Assert.Contains("Exited unexpectedly; the AppHost starts it again in", app.Log.Tail(server, 500), StringComparison.Ordinal);

        // keys reports healthy only when its database, Redis and RabbitMQ all answer: it reconnected by itself.
        Assert.True(await HealthyAsync(keys, timeout.Token), $"keys did not recover after {server} came back ({back.Snapshot.State?.Text}).{Environment.NewLine}{app.Log.Tail("keys")}");
    }

    /// <summary>
    /// The harness runs without the dashboard, so there is no collector: a service it starts is not told of one (Aspire
    /// would name localhost:4317 all the same), and ServiceDefaults then records no telemetry rather than export every
    /// request's spans and metrics into a closed port (bench/GatewayEdge).
    /// </summary>
    [Fact]
    public async Task A_service_started_by_the_harness_is_not_told_of_a_collector_that_does_not_run()
    {
        var app = await platform.StartAsync();
        var environment = File.ReadAllText($"/proc/{ExecutablePid(app, "keys")}/environ").Split('\0');

        Assert.Contains(environment, v => v.StartsWith("OTEL_SERVICE_NAME=keys", StringComparison.Ordinal));
        Assert.DoesNotContain(environment, v => v.StartsWith("OTEL_EXPORTER_OTLP_ENDPOINT=", StringComparison.Ordinal));
    }

    private static async Task<bool> HealthyAsync(HttpClient service, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                if ((await service.GetAsync("/health", cancellationToken)).IsSuccessStatusCode) return true;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException)
            {
            }

            try
            {
                await Task.Delay(500, cancellationToken);
            }
            catch (OperationCanceledException)
            {
            }
        }

        return false;
    }

    private static int ExecutablePid(TestingApplication app, string resource)
    {
        Assert.True(app.Application.ResourceNotifications.TryGetCurrentState(resource, out var current));
        return Convert.ToInt32(current.Snapshot.Properties.First(p => p.Name == "executable.pid").Value, System.Globalization.CultureInfo.InvariantCulture);
    }

    public sealed class Platform : IAsyncDisposable
    {
        private readonly Lazy<Task<TestingApplication>> app = new(async () =>
        {
            var testing = await TestingApplication.CreateAsync();
            testing.KeepOnly("keys");
            return await testing.StartAsync();
        });

        public Task<TestingApplication> StartAsync() => app.Value;

        public async ValueTask DisposeAsync()
        {
            if (app.IsValueCreated && app.Value.IsCompletedSuccessfully) await app.Value.Result.DisposeAsync();
        }
    }
}
