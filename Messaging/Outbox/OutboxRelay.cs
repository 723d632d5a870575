using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Publishes committed outbox rows for as long as the host runs: one <see cref="OutboxPass"/> after another while
/// full batches keep coming, otherwise asleep until a NOTIFY, the next due retry or the poll interval. Backs off as a
/// whole while every publish fails (the broker is down) and purges sent rows after their retention.
/// </summary>
internal sealed class OutboxRelay(
    NpgsqlDataSource dataSource,
    OutboxPass pass,
    OutboxListener listener,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxRelay> logger) : BackgroundService
{
    private const int PurgeBatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var listening = listener.RunAsync(stoppingToken);
        var nextPurge = timeProvider.GetUtcNow() + options.Value.PurgeInterval;
        var failedPasses = 0;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = options.Value.PollInterval;
                try
                {
                    var result = await pass.RunAsync(dataSource, stoppingToken);
                    if (result.Locked == options.Value.BatchSize && result.Failed == 0)
                    {
                        continue;
                    }

                    // Every row failed: the broker is likely down. The relay backs off as a whole instead of trying
                    // each newly committed row the moment it arrives.
                    failedPasses = result.Failed > 0 && result.Sent == 0 ? failedPasses + 1 : 0;
                    if (failedPasses > 0)
                    {
                        await Task.Delay(Backoff.Delay(failedPasses, options.Value.RetryDelay, options.Value.MaxRetryDelay), timeProvider, stoppingToken);
                        continue;
                    }

                    nextPurge = await PurgeIfDueAsync(nextPurge, stoppingToken);
                    var nextDue = await OutboxStore.NextDueAsync(dataSource, stoppingToken);
                    if (nextDue is { } due)
                    {
                        wait = TimeSpan.FromTicks(Math.Clamp((due - timeProvider.GetUtcNow()).Ticks, 0, wait.Ticks));
                    }
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    failedPasses++;
                    wait = Backoff.Delay(failedPasses, options.Value.RetryDelay, options.Value.MaxRetryDelay);
                    logger.RelayPassFailed(wait, exception);
                }

                await signal.WaitAsync(wait, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }

        await listening;
    }

    private async Task<DateTimeOffset> PurgeIfDueAsync(DateTimeOffset nextPurge, CancellationToken cancellationToken)
    {
        var now = timeProvider.GetUtcNow();
        if (now < nextPurge)
        {
            return nextPurge;
        }

        var cutoff = now - options.Value.SentRetention;
        int deleted, total = 0;
        do
        {
            deleted = await OutboxStore.PurgeSentAsync(dataSource, cutoff, PurgeBatchSize, cancellationToken);
            total += deleted;
        }
        while (deleted == PurgeBatchSize);

        if (total > 0)
        {
            logger.OutboxPurged(total, cutoff);
        }

        return now + options.Value.PurgeInterval;
    }
}
