namespace Platform.Retention;

/// <summary>A pass of one of retention's schedules (purge, closure, data-subject requests): how often, and one run.</summary>
internal interface IScheduledPass
{
    /// <summary>What the logs call it ("purge", "closure", "data-subject request").</summary>
    string Name { get; }

    TimeSpan Interval { get; }

    Task RunScheduledAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Runs a <typeparamref name="TPass"/> every <see cref="IScheduledPass.Interval"/> of the injected clock; a failed pass
/// is logged and the next tick tries again (a database outage must not end a schedule for good).
/// </summary>
internal sealed partial class PassScheduler<TPass>(TPass pass, TimeProvider time, ILogger<PassScheduler<TPass>> logger) : BackgroundService
    where TPass : IScheduledPass
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(pass.Interval, time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            try
            {
                await pass.RunScheduledAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, pass.Name, exception.GetType().Name, exception);
            }
        }
    }

    [LoggerMessage(EventId = 1643, Level = LogLevel.Error, Message = "A {Pass} pass failed ({Reason}); the next one tries again")]
    private static partial void LogFailed(ILogger logger, string pass, string reason, Exception exception);
}
