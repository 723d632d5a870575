using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Audit.Siem;

/// <summary>
/// Delivers every organization's audit entries to its SIEM destinations, in log order, at least once: a batch is
/// claimed with its destination's row locked (replicas take turns), sent, and only then the cursor moves, in the same
/// transaction. A failure keeps the cursor, records the error (shown in the destination's status) and waits before
/// the next attempt, doubling from <see cref="SiemOptions.FirstBackoff"/> to <see cref="SiemOptions.MaxBackoff"/>.
/// </summary>
internal sealed partial class SiemDelivery(
    NpgsqlDataSource dataSource, SiemStore store, SyslogTlsSender sender, HecSender hec, IOptions<SiemOptions> options, TimeProvider time, ILogger<SiemDelivery> logger) : BackgroundService
{
    private readonly SiemOptions settings = options.Value;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(settings.PollInterval, time);
        do
        {
            try
            {
                // Destinations one after another until none is due, then wait for the next tick.
                while (await DeliverNextAsync(stoppingToken))
                {
                }
            }
            catch (Exception exception) when (exception is not OperationCanceledException || !stoppingToken.IsCancellationRequested)
            {
                // Nothing a destination or the database does may stop the service: the next tick tries again.
                LogPassFailed(logger, exception.GetType().Name);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Sends one batch to one due destination; false when no destination was due.</summary>
    public async Task<bool> DeliverNextAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var now = time.GetUtcNow();
        if (await store.ClaimDueAsync(connection, transaction, now, settings.BatchSize, cancellationToken) is not var (destination, entries, next))
        {
            return false;
        }

        try
        {
            if (destination.Kind == SiemDestination.SplunkHec) await hec.SendAsync(destination, entries, cancellationToken);
            else await sender.SendAsync(destination, [.. entries.Select(e => SyslogMessage.Frame(e, settings.Hostname))], cancellationToken);
            await SiemStore.DeliveredAsync(connection, transaction, destination.Id, next, time.GetUtcNow(), cancellationToken);
            LogDelivered(logger, entries.Count, destination.Id);
        }
        catch (Exception failure) when (failure is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // A failure the sender did not foresee is named by its type only: its message might carry what the customer must not see.
            var reason = failure is SiemDeliveryException ? failure.Message : $"delivery failed ({failure.GetType().Name})";
            var wait = Backoff(destination.Failures + 1);
            await SiemStore.FailedAsync(connection, transaction, destination.Id, reason, now, now + wait, cancellationToken);
            LogNotDelivered(logger, destination.Id, reason, wait);
        }

        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    private TimeSpan Backoff(int failures)
    {
        var doubled = settings.FirstBackoff * Math.Pow(2, Math.Min(failures - 1, 20));
        return doubled < settings.MaxBackoff ? doubled : settings.MaxBackoff;
    }

    [LoggerMessage(EventId = 4330, Level = LogLevel.Debug, Message = "Delivered {Count} audit entries to SIEM destination {Destination}")]
    private static partial void LogDelivered(ILogger logger, int count, string destination);

    [LoggerMessage(EventId = 4331, Level = LogLevel.Warning, Message = "SIEM destination {Destination} did not take its entries ({Reason}); next attempt in {Wait}")]
    private static partial void LogNotDelivered(ILogger logger, string destination, string reason, TimeSpan wait);

    [LoggerMessage(EventId = 4332, Level = LogLevel.Warning, Message = "SIEM delivery pass failed ({Reason}); the next tick tries again")]
    private static partial void LogPassFailed(ILogger logger, string reason);
}
