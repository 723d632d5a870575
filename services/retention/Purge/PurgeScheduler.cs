using Microsoft.Extensions.Options;

namespace Platform.Retention.Purge;

/// <summary>Runs a <see cref="PurgePass"/> every <see cref="PurgeOptions.Interval"/> of the injected clock; a failed pass is logged and the next tick tries again.</summary>
internal sealed partial class PurgeScheduler(PurgePass pass, IOptions<PurgeOptions> options, TimeProvider time, ILogger<PurgeScheduler> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(options.Value.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pass.RunAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, exception.GetType().Name, exception);
            }
        }
    }

    [LoggerMessage(EventId = 1643, Level = LogLevel.Error, Message = "A purge pass failed ({Reason}); the next one tries again")]
    private static partial void LogFailed(ILogger logger, string reason, Exception exception);
}
