using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.Messaging.Transport;

/// <summary>
/// The service's RabbitMQ connection, the <see cref="IConnection"/> of Aspire's <c>AddRabbitMQClient</c>, for code
/// that awaits. Aspire builds it on first resolution and blocks meanwhile, retrying while the broker is unreachable;
/// here that happens once, on the thread pool, for every caller at once. A failed attempt is not kept (nor does the
/// container keep a failed singleton), so the next caller tries again: a broker that was down at start-up is picked
/// up once it is back. After that the client's automatic recovery keeps the connection alive.
/// </summary>
/// <param name="connectionName">The connection's name in <c>ConnectionStrings</c>, for the log.</param>
internal sealed class BrokerConnection(IServiceProvider services, string connectionName, ILogger<BrokerConnection> logger)
{
    private readonly Lock _gate = new();
    private Task<IConnection>? _connecting;

    /// <summary>The open connection. Cancelling stops only this caller's wait: the attempt goes on for the next one.</summary>
    public Task<IConnection> GetAsync(CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = Task.Run(Connect, CancellationToken.None);
            }

            return _connecting.WaitAsync(cancellationToken);
        }
    }

    private IConnection Connect()
    {
        try
        {
            return services.GetRequiredService<IConnection>();
        }
        catch (BrokerUnreachableException exception) when (IsAuthenticationRefused(exception))
        {
            // Unlike an unreachable broker this does not fix itself: say what to correct, never the credentials.
            logger.AuthenticationRefused(connectionName);
            throw;
        }
    }

    private static bool IsAuthenticationRefused(Exception exception) => exception switch
    {
        AuthenticationFailureException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsAuthenticationRefused),
        { InnerException: { } inner } => IsAuthenticationRefused(inner),
        _ => false,
    };
}
