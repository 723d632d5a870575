namespace Platform.Retention;

/// <summary>A pass of one of retention's schedules (purge, closure, data-subject requests): how often, and one run.</summary>
internal interface IScheduledPass
{
    /// <summary>What the logs call it ("purge", "closure", "data-subject request").</summary>
    string Name { get; }

    TimeSpan Interval { get; }

    /// <summary>How soon the next run comes after one that left work for later (bounded per run); at most <see cref="Interval"/>.</summary>
    TimeSpan BusyInterval => Interval;

    /// <summary>One run; true when it stopped at its bound with work left, so the next comes after <see cref="BusyInterval"/>.</summary>
    Task<bool> RunScheduledAsync(CancellationToken cancellationToken);
}

/// <summary>
/// Runs a <typeparamref name="TPass"/> every <see cref="IScheduledPass.Interval"/> of the injected clock, or after
/// <see cref="IScheduledPass.BusyInterval"/> when the last run left work; a failed pass is logged and the next tick
/// tries again (a database outage must not end a schedule for good).
/// </summary>
internal sealed partial class PassScheduler<TPass>(TPass pass, TimeProvider time, ILogger<PassScheduler<TPass>> logger) : BackgroundService
    where TPass : IScheduledPass
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var next = pass.Interval;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(next, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }

            var workLeft = false;
            try
            {
                workLeft = await pass.RunScheduledAsync(stoppingToken);
            }
            catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
            {
                LogFailed(logger, pass.Name, exception.GetType().Name, exception);
            }

            next = workLeft ? TimeSpan.FromTicks(Math.Min(pass.BusyInterval.Ticks, pass.Interval.Ticks)) : pass.Interval;
        }
    }

    [LoggerMessage(EventId = 1643, Level = LogLevel.Error, Message = "A {Pass} pass failed ({Reason}); the next one tries again")]
    private static partial void LogFailed(ILogger logger, string pass, string reason, Exception exception);
}
