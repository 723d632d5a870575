using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Platform.Messaging.Consuming;

/// <summary>
/// Logs what the client's automatic recovery does with the shared connection while a consumer session runs, so an
/// outage and its end are visible; unsubscribes when the session ends.
/// </summary>
internal sealed class ConnectionEvents : IDisposable
{
    private readonly IConnection _connection;
    private readonly AsyncEventHandler<ShutdownEventArgs> _lost;
    private readonly AsyncEventHandler<AsyncEventArgs> _recovered;
    private readonly AsyncEventHandler<ConnectionRecoveryErrorEventArgs> _recoveryFailed;

    private ConnectionEvents(IConnection connection, ILogger logger, string queue)
    {
        _connection = connection;
        _lost = (_, args) =>
        {
            logger.ConnectionLost(args.ReplyCode, args.ReplyText);
            return Task.CompletedTask;
        };
        _recovered = (_, _) =>
        {
            logger.ConnectionRecovered(queue);
            return Task.CompletedTask;
        };
        _recoveryFailed = (_, args) =>
        {
            logger.ConnectionRecoveryFailed(args.Exception.GetType().Name);
            return Task.CompletedTask;
        };
        connection.ConnectionShutdownAsync += _lost;
        connection.RecoverySucceededAsync += _recovered;
        connection.ConnectionRecoveryErrorAsync += _recoveryFailed;
    }

    public static ConnectionEvents Log(IConnection connection, ILogger logger, string queue) => new(connection, logger, queue);

    public void Dispose()
    {
        _connection.ConnectionShutdownAsync -= _lost;
        _connection.RecoverySucceededAsync -= _recovered;
        _connection.ConnectionRecoveryErrorAsync -= _recoveryFailed;
    }
}
