using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;

namespace Platform.Messaging.Outbox;

/// <summary>
/// LISTENs for the outbox's NOTIFY on a connection of its own and wakes the relay, so a committed event is
/// published at once rather than at the next poll. When PostgreSQL is unreachable it reconnects with backoff;
/// the relay's poll covers the gap.
/// </summary>
internal sealed class OutboxListener(
    NpgsqlDataSource dataSource, OutboxSignal signal, IOptions<OutboxOptions> options, TimeProvider timeProvider, ILogger<OutboxListener> logger)
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(30);

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        for (var failures = 0; !cancellationToken.IsCancellationRequested;)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
                connection.Notification += (_, _) => signal.Set();
                await using (var listen = new NpgsqlCommand($"LISTEN {OutboxStore.NotificationChannel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(cancellationToken);
                }

                failures = 0;
                // Rows committed while nobody listened are found by this first look.
                signal.Set();
                while (true)
                {
                    // A connection that died silently (no RST) would never end a wait; a periodic round trip finds out.
                    if (!await connection.WaitAsync(KeepAliveInterval, cancellationToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteNonQueryAsync(cancellationToken);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception exception)
            {
                failures++;
                var delay = Backoff.Delay(failures, options.Value.RetryDelay, options.Value.MaxRetryDelay);
                logger.OutboxListenFailed(delay, exception.GetType().Name);
                try
                {
                    await Task.Delay(delay, timeProvider, cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }
}
