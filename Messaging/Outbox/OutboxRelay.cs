using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging.DeadLettering;
using Platform.Messaging.Diagnostics;
using Platform.Messaging.Publishing;
using Platform.Messaging.Transport;

namespace Platform.Messaging.Outbox;

/// <summary>
/// Publishes committed outbox rows: locks a batch of due rows, publishes them with confirms, and marks the
/// confirmed ones sent in the same transaction. A row that fails gets its attempt counted, its error recorded and
/// its next attempt scheduled with capped exponential backoff — and is retried for as long as it takes: nothing is
/// ever given up, and each failure is logged. A crash between publish and mark sends the batch again on the next
/// run; consumers deduplicate by event id.
/// </summary>
internal sealed class OutboxRelay(
    NpgsqlDataSource dataSource,
    ConfirmedPublisher publisher,
    OutboxListener listener,
    OutboxSignal signal,
    IOptions<OutboxOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxRelay> logger,
    OutboxRelayHooks? hooks = null) : BackgroundService
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
                    var pass = await RelayBatchAsync(stoppingToken);
                    if (pass.Locked == options.Value.BatchSize && pass.Failed == 0)
                    {
                        continue;
                    }

                    // Every row failed: the broker is likely down. The relay backs off as a whole instead of trying
                    // each newly committed row the moment it arrives.
                    failedPasses = pass.Failed > 0 && pass.Sent == 0 ? failedPasses + 1 : 0;
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

    private async Task<(int Locked, int Sent, int Failed)> RelayBatchAsync(CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await OutboxStore.LockDueAsync(connection, transaction, timeProvider.GetUtcNow(), options.Value.BatchSize, cancellationToken);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return (0, 0, 0);
        }

        var messages = rows.Select(ToMessage).ToList();
        var results = await publisher.PublishAsync(Topology.EventsExchange, messages, mandatory: false, cancellationToken);

        var sent = new List<long>(rows.Count);
        var failures = new List<OutboxFailure>();
        for (var index = 0; index < rows.Count; index++)
        {
            var row = rows[index];
            if (results[index] is not { } failure)
            {
                sent.Add(row.Id);
                continue;
            }

            var attempts = row.Attempts + 1;
            failures.Add(new OutboxFailure(
                row.Id, attempts, Backoff.NextAttemptAt(timeProvider, attempts, options.Value.RetryDelay, options.Value.MaxRetryDelay), ReasonText.Describe(failure)));
            if (attempts >= options.Value.AlertAfterAttempts)
            {
                logger.OutboxRowStuck(row.EventId, row.Type, attempts, failure.GetType().Name);
            }
        }

        if (hooks?.AfterPublishBeforeMarkingSent is { } hook && sent.Count > 0)
        {
            await hook([.. rows.Where(row => sent.Contains(row.Id)).Select(row => row.EventId)], cancellationToken);
        }

        var now = timeProvider.GetUtcNow();
        if (sent.Count > 0)
        {
            await OutboxStore.MarkSentAsync(connection, transaction, sent, now, cancellationToken);
        }

        if (failures.Count > 0)
        {
            await OutboxStore.MarkFailedAsync(connection, transaction, failures, cancellationToken);
        }

        await transaction.CommitAsync(cancellationToken);
        MessagingTelemetry.OutboxSent.Add(sent.Count);
        if (failures.Count > 0)
        {
            MessagingTelemetry.OutboxFailed.Add(failures.Count);
            var first = results.First(result => result is not null)!;
            logger.OutboxPublishFailed(failures.Count, rows.Count, failures.Min(f => f.NextAttemptAt - now), first.GetType().Name, ReasonText.Sanitize(first.Message, 200));
        }

        return (rows.Count, sent.Count, failures.Count);
    }

    private OutgoingMessage ToMessage(OutboxRow row)
    {
        var activity = MessagingTelemetry.StartPublish(row.Type, TraceHeaders.Parse(row.TraceParent, row.TraceState));
        return EventMessages.Create(
            row.EventId, row.Type, System.Text.Encoding.UTF8.GetBytes(row.Payload), row.TraceParent, row.TraceState, timeProvider, activity);
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
