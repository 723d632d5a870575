using Microsoft.Extensions.Options;

namespace Platform.Retention.Closure;

/// <summary>Runs a <see cref="ClosurePass"/> every <see cref="ClosureOptions.Interval"/> of the injected clock; a failed pass is logged and the next tick tries again.</summary>
internal sealed partial class ClosureScheduler(ClosurePass pass, IOptions<ClosureOptions> options, TimeProvider time, ILogger<ClosureScheduler> logger) : BackgroundService
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

    [LoggerMessage(EventId = 1655, Level = LogLevel.Error, Message = "A closure pass failed ({Reason}); the next one tries again")]
    private static partial void LogFailed(ILogger logger, string reason, Exception exception);
}
