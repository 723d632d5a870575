using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging.DeadLettering;
using Platform.Messaging.Diagnostics;
using Platform.Messaging.Publishing;
using Platform.Messaging.Transport;

namespace Platform.Messaging.Outbox;

internal sealed record OutboxPassResult(int Locked, int Sent, int Failed);

/// <summary>
/// One pass of the relay, in one transaction: lock a batch of due rows, publish them with confirms, mark the
/// confirmed ones sent. A row that fails gets its attempt counted, its error recorded and its next attempt
/// scheduled with capped exponential backoff — it is retried for as long as it takes, never given up, and every
/// failure is logged. A crash between publish and mark sends the batch again; consumers deduplicate by event id.
/// </summary>
internal sealed class OutboxPass(
    ConfirmedPublisher publisher,
    IOptions<OutboxOptions> options,
    TimeProvider timeProvider,
    ILogger<OutboxPass> logger,
    OutboxRelayHooks? hooks = null)
{
    public async Task<OutboxPassResult> RunAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var rows = await OutboxStore.LockDueAsync(connection, transaction, timeProvider.GetUtcNow(), options.Value.BatchSize, cancellationToken);
        if (rows.Count == 0)
        {
            await transaction.CommitAsync(cancellationToken);
            return new OutboxPassResult(0, 0, 0);
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
            // One line per batch, not per row: during an outage thousands of rows fail together.
            var stuck = failures.Where(f => f.Attempts >= options.Value.AlertAfterAttempts).ToList();
            if (stuck.Count > 0)
            {
                var oldest = rows.First(row => row.Id == stuck[0].Id);
                logger.OutboxRowsStuck(stuck.Count, options.Value.AlertAfterAttempts, oldest.EventId, oldest.Type, stuck[0].Attempts);
            }
        }

        return new OutboxPassResult(rows.Count, sent.Count, failures.Count);
    }

    private OutgoingMessage ToMessage(OutboxRow row)
    {
        var activity = MessagingTelemetry.StartPublish(row.Type, TraceHeaders.Parse(row.TraceParent, row.TraceState));
        return EventMessages.Create(
            row.EventId, row.Type, System.Text.Encoding.UTF8.GetBytes(row.Payload), row.TraceParent, row.TraceState, timeProvider, activity, row.MustBeRouted);
    }
}
