using Microsoft.Extensions.Hosting;

namespace Platform.AppHost.Supervision;

/// <summary>
/// With <c>--resource-logs</c>, every resource's console output also goes to the AppHost's own, prefixed with the
/// resource's name (CI, a terminal without a browser); the dashboard has it either way.
/// </summary>
internal sealed class ResourceLogEcho(ResourceNotificationService notifications, ResourceLoggerService logs) : BackgroundService, IHostedLifecycleService
{
    public const string ConfigurationKey = "Platform:ResourceLogsToConsole";

    // Aspire's StartAsync waits for every resource and WaitFor chain, and hosted services start one after another.
    // Started only after it, the output of a server that cannot start (its own explanation) would never be shown.
    // So this one starts in the host's Starting phase, before any resource does.
    public Task StartingAsync(CancellationToken cancellationToken) => base.StartAsync(cancellationToken);

    public override Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StartedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppingAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StoppedAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var watched = new HashSet<string>();
        try
        {
            await foreach (var update in notifications.WatchAsync(stoppingToken))
            {
                if (!watched.Add(update.ResourceId)) continue;
                var name = update.Resource.Name;
                _ = Task.Run(async () =>
                {
                    await foreach (var batch in logs.WatchAsync(update.ResourceId).WithCancellation(stoppingToken))
                    {
                        foreach (var line in batch) Console.WriteLine($"[{name}] {line.Content}");
                    }
                }, stoppingToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }
}
