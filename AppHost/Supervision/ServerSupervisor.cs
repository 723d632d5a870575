using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Servers;

namespace Platform.AppHost.Supervision;

/// <summary>
/// The local servers' lifecycle beyond what DCP does. A server that exits before it was ever healthy cannot start:
/// the AppHost stops, naming it and its last output, and leaves nothing running. A server that dies later (a crash, a
/// kill -9) shows as exited in the dashboard and is started again after 1, 2, 4… up to 30 s; a stop someone asked for
/// (the dashboard's Stop) is left alone. Services reconnect by themselves once it is back.
/// </summary>
internal sealed class ServerSupervisor(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    ResourceLoggerService resourceLogs,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ServerSupervisor> logger) : BackgroundService, IHostedLifecycleService
{
    private static readonly TimeSpan maximumBackoff = TimeSpan.FromSeconds(30);

    // Aspire's StartAsync waits for every resource and WaitFor chain, and hosted services start one after another.
    // Started only after it, a server that could not start would hang the start instead of stopping it.
    // So this one starts in the host's Starting phase, before any resource does.
    public Task StartingAsync(CancellationToken cancellationToken) => base.StartAsync(cancellationToken);

    public override Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var servers = model.Resources.OfType<LocalServerResource>().ToDictionary(s => s.Name);
        var everHealthy = new HashSet<string>();
        var lastState = new Dictionary<string, string?>();
        var failures = new Dictionary<string, int>();
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!servers.TryGetValue(update.Resource.Name, out var server)) continue;
                var state = update.Snapshot.State?.Text;
                var previous = lastState.GetValueOrDefault(server.Name);
                lastState[server.Name] = state;
                if (state == KnownResourceStates.Running && update.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy)
                {
                    everHealthy.Add(server.Name);
                    failures[server.Name] = 0;
                    continue;
                }

                if (state is null || state == previous || !IsTerminal(state)) continue;
                if (!everHealthy.Contains(server.Name))
                {
                    logger.LogCritical("{Resource} could not start ({State}, exit code {ExitCode}); stopping the AppHost. Its console log is above, prefixed with its name; the dashboard keeps it too.",
                        server.Name, state, update.Snapshot.ExitCode);
                    Environment.ExitCode = 1;
                    lifetime.StopApplication();
                    return;
                }

                if (previous == KnownResourceStates.Stopping) continue;
                var attempt = failures[server.Name] = failures.GetValueOrDefault(server.Name) + 1;
                var backoff = TimeSpan.FromSeconds(Math.Min(maximumBackoff.TotalSeconds, Math.Pow(2, attempt - 1)));
                logger.LogWarning("{Resource} exited ({State}, exit code {ExitCode}); starting it again in {Backoff} s (attempt {Attempt}).",
                    server.Name, state, update.Snapshot.ExitCode, backoff.TotalSeconds, attempt);
                resourceLogs.GetLogger(server).LogWarning("Exited unexpectedly; the AppHost starts it again in {Backoff} s.", backoff.TotalSeconds);
                _ = RestartAsync(server, backoff, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RestartAsync(IResource server, TimeSpan backoff, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(backoff, clock, stoppingToken);
            var result = await commands.ExecuteCommandAsync(server, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success) logger.LogError("Starting {Resource} again failed: {Message}", server.Name, result.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static bool IsTerminal(string state) =>
        state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart;
}
