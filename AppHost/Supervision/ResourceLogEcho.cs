using Microsoft.Extensions.Hosting;

namespace Platform.AppHost.Supervision;

/// <summary>
/// With <c>--resource-logs</c>, every resource's console output also goes to the AppHost's own, prefixed with the
/// resource's name (CI, a terminal without a browser); the dashboard has it either way.
/// </summary>
internal sealed class ResourceLogEcho(ResourceNotificationService notifications, ResourceLoggerService logs) : BackgroundService
{
    public const string ConfigurationKey = "Platform:ResourceLogsToConsole";

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
