using Npgsql;

namespace Platform.Identity.Oidc;

/// <summary>
/// LISTENs on <see cref="ClientCache.Channel"/> on a connection of its own and drops each changed or deleted client
/// from the replica's <see cref="ClientCache"/>. The cache serves only while this LISTEN holds: on any failure it is
/// emptied and bypassed (every grant reads its client from the database) until the listener is back, retrying every
/// <see cref="RetryDelay"/>.
/// </summary>
internal sealed partial class ClientCacheListener(NpgsqlDataSource dataSource, ClientCache cache, TimeProvider clock, ILogger<ClientCacheListener> logger)
    : BackgroundService
{
    private static readonly TimeSpan KeepAliveInterval = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan RetryDelay = TimeSpan.FromSeconds(1);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var connection = await dataSource.OpenConnectionAsync(stoppingToken);
                connection.Notification += (_, notification) =>
                {
                    if (notification.Channel == ClientCache.Channel) cache.Heard(notification.Payload);
                };
                await using (var listen = new NpgsqlCommand($"LISTEN {ClientCache.Channel}", connection))
                {
                    await listen.ExecuteNonQueryAsync(stoppingToken);
                }

                // Whatever changed before this point was missed: Resume starts from an empty cache.
                cache.Resume();
                while (true)
                {
                    // A connection that died silently (no RST) would never end a wait; a periodic round trip finds out.
                    if (!await connection.WaitAsync(KeepAliveInterval, stoppingToken))
                    {
                        await using var ping = new NpgsqlCommand("SELECT 1", connection);
                        await ping.ExecuteNonQueryAsync(stoppingToken);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                cache.Suspend();
                return;
            }
            catch (Exception exception)
            {
                cache.Suspend();
                LogListenFailed(logger, RetryDelay, exception.GetType().Name);
                try
                {
                    await Task.Delay(RetryDelay, clock, stoppingToken);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    [LoggerMessage(EventId = 5203, Level = LogLevel.Warning, Message = "Client cache listener lost PostgreSQL; serving clients from the database, retrying in {Delay}: {ExceptionType}")]
    private static partial void LogListenFailed(ILogger logger, TimeSpan delay, string exceptionType);
}
