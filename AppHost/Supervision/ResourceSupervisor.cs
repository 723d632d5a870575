using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.AppHost.Servers;

namespace Platform.AppHost.Supervision;

/// <summary>
/// What DCP does not do for a process that ends. A local server that exits before it was ever healthy cannot start:
/// the AppHost stops, naming it (its output is in its console log), and leaves nothing running. A server or a
/// service (each replica on its own) that dies later — a crash, a kill -9 — shows as exited in the dashboard and is
/// started again after 1, 2, 4… up to 30 s. A stop someone asked for (the dashboard's Stop) is left alone. Services
/// reconnect by themselves once a server is back.
/// </summary>
internal sealed class ResourceSupervisor(
    DistributedApplicationModel model,
    ResourceNotificationService notifications,
    ResourceCommandService commands,
    ResourceLoggerService resourceLogs,
    IHostApplicationLifetime lifetime,
    TimeProvider clock,
    ILogger<ResourceSupervisor> logger) : BackgroundService, IHostedLifecycleService
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
        var supervised = model.Resources.Where(r => r is LocalServerResource or ProjectResource).ToHashSet();
        var everHealthy = new HashSet<string>();
        var lastState = new Dictionary<string, string?>();
        var failures = new Dictionary<string, int>();
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!supervised.Contains(update.Resource) || update.Snapshot.IsHidden) continue;
                var id = update.ResourceId;
                var state = update.Snapshot.State?.Text;
                var previous = lastState.GetValueOrDefault(id);
                lastState[id] = state;
                if (state == KnownResourceStates.Running && update.Snapshot.HealthStatus == HealthStatus.Healthy)
                {
                    everHealthy.Add(id);
                    failures[id] = 0;
                    continue;
                }

                if (state is null || state == previous || !IsTerminal(state) || previous == KnownResourceStates.Stopping) continue;
                if (update.Resource is LocalServerResource && !everHealthy.Contains(id))
                {
                    logger.LogCritical("{Resource} could not start ({State}, exit code {ExitCode}); stopping the AppHost. Its output is in its console log (the dashboard, or --resource-logs).",
                        update.Resource.Name, state, update.Snapshot.ExitCode);
                    Environment.ExitCode = 1;
                    lifetime.StopApplication();
                    return;
                }

                var attempt = failures[id] = failures.GetValueOrDefault(id) + 1;
                var backoff = TimeSpan.FromSeconds(Math.Min(maximumBackoff.TotalSeconds, Math.Pow(2, attempt - 1)));
                logger.LogWarning("{Resource} ({Id}) exited ({State}, exit code {ExitCode}); starting it again in {Backoff} s (attempt {Attempt}).",
                    update.Resource.Name, id, state, update.Snapshot.ExitCode, backoff.TotalSeconds, attempt);
                resourceLogs.GetLogger(id).LogWarning("Exited unexpectedly; the AppHost starts it again in {Backoff} s.", backoff.TotalSeconds);
                _ = RestartAsync(update.Resource.Name, id, backoff, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    private async Task RestartAsync(string name, string id, TimeSpan backoff, CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(backoff, clock, stoppingToken);
            var result = await commands.ExecuteCommandAsync(id, KnownResourceCommands.StartCommand, stoppingToken);
            if (!result.Success) logger.LogError("Starting {Resource} ({Id}) again failed: {Message}", name, id, result.Message);
        }
        catch (OperationCanceledException)
        {
        }
    }

    private static bool IsTerminal(string state) =>
        state == KnownResourceStates.Exited || state == KnownResourceStates.Finished || state == KnownResourceStates.FailedToStart;
}
