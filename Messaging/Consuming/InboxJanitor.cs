using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Messaging.Consuming;

/// <summary>Forgets processed event ids once they are older than <see cref="EventBusOptions.InboxRetention"/>.</summary>
internal sealed class InboxJanitor(
    NpgsqlDataSource dataSource, IOptions<EventBusOptions> options, TimeProvider timeProvider, ILogger<InboxJanitor> logger)
    : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromHours(1);

    // Not at once: at start-up the schema may still be on its way (a migrator hosted service, a deploy step).
    private static readonly TimeSpan FirstRunDelay = TimeSpan.FromMinutes(1);
    private const int BatchSize = 5000;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(FirstRunDelay, timeProvider, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                try
                {
                    var cutoff = timeProvider.GetUtcNow() - options.Value.InboxRetention;
                    int deleted;
                    var total = 0;
                    do
                    {
                        deleted = await Inbox.PurgeAsync(dataSource, cutoff, BatchSize, stoppingToken);
                        total += deleted;
                    }
                    while (deleted == BatchSize);

                    if (total > 0)
                    {
                        logger.InboxPurged(total, cutoff);
                    }
                }
                catch (Exception exception) when (!stoppingToken.IsCancellationRequested)
                {
                    logger.InboxPurgeFailed(exception);
                }

                await Task.Delay(Interval, timeProvider, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }
}
