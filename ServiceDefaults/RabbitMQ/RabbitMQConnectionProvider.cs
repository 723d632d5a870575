using System.Diagnostics;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using Polly;
using Polly.Retry;
using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;

namespace Platform.ServiceDefaults.RabbitMQ;

/// <summary>
/// Owns the service's single RabbitMQ connection. It is opened on first use, retried with exponential backoff
/// while the broker is unreachable, and afterwards kept alive by the client's automatic recovery. A refused
/// user name or password is not retried: it fails the attempt at once with <see cref="RabbitMQAuthenticationException"/>.
/// </summary>
/// <remarks>
/// Await <see cref="GetConnectionAsync"/> from asynchronous code; the registered <see cref="IConnection"/> blocks on
/// the same task once, for constructors that cannot await.
/// </remarks>
public sealed class RabbitMQConnectionProvider : IAsyncDisposable
{
    private static readonly ActivitySource ActivitySource = new("Platform.ServiceDefaults.RabbitMQ");

    private readonly ConnectionFactory _factory;
    private readonly string _connectionName;
    private readonly RabbitMQClientSettings _settings;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly CancellationTokenSource _disposing = new();
    private Task<IConnection>? _connecting;

    internal RabbitMQConnectionProvider(
        ConnectionFactory factory,
        string connectionName,
        RabbitMQClientSettings settings,
        ILogger<RabbitMQConnectionProvider> logger)
    {
        _factory = factory;
        _connectionName = connectionName;
        _settings = settings;
        _logger = logger;
    }

    /// <summary>
    /// The open connection, connecting first if no attempt has succeeded yet. Cancelling only stops this caller's
    /// wait: the attempt itself goes on for whoever asks next.
    /// </summary>
    public Task<IConnection> GetConnectionAsync(CancellationToken cancellationToken = default)
    {
        Task<IConnection> connecting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposing.IsCancellationRequested, this);

            // A failed attempt is not cached: the broker may be back by the time someone asks again.
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                var lifetime = _disposing.Token;
                _connecting = Task.Run(() => ConnectAsync(lifetime), lifetime);
            }

            connecting = _connecting;
        }

        return connecting.WaitAsync(cancellationToken);
    }

    private async Task<IConnection> ConnectAsync(CancellationToken cancellationToken)
    {
        var endpoint = _factory.Endpoint;
        using var activity = ActivitySource.StartActivity("rabbitmq connect", ActivityKind.Client);
        activity?.SetTag("server.address", endpoint.HostName);
        activity?.SetTag("server.port", endpoint.Port);
        _logger.Connecting(_connectionName, endpoint.HostName, endpoint.Port, _factory.VirtualHost);

        var attempts = 0;
        try
        {
            var connection = await BuildRetryPipeline().ExecuteAsync(async token =>
            {
                attempts++;
                return await _factory.CreateConnectionAsync(token);
            }, cancellationToken);

            _logger.Connected(_connectionName, attempts);
            return connection;
        }
        catch (BrokerUnreachableException exception) when (IsAuthenticationRefused(exception))
        {
            activity?.SetStatus(ActivityStatusCode.Error, nameof(RabbitMQAuthenticationException));
            _logger.AuthenticationRefused(_connectionName, endpoint.HostName, endpoint.Port);
            throw new RabbitMQAuthenticationException(_connectionName, exception);
        }
        catch (Exception exception) when (exception is not OperationCanceledException)
        {
            activity?.SetStatus(ActivityStatusCode.Error, exception.GetType().Name);
            _logger.ConnectFailed(_connectionName, exception);
            throw;
        }
    }

    private ResiliencePipeline BuildRetryPipeline()
    {
        // The real clock, not the TimeProvider from DI: the backoff waits for a broker to come up, which happens in
        // real time. On a FakeTimeProvider (a test driving domain time) the first delay would never end, and every
        // constructor blocking on IConnection would hang.
        var builder = new ResiliencePipelineBuilder { TimeProvider = TimeProvider.System };
        if (_settings.MaxConnectRetryCount > 0)
        {
            builder.AddRetry(new RetryStrategyOptions
            {
                // Only "nobody answered" is worth waiting for; anything else will not fix itself. The client reports a
                // refused login as unreachable too, with the AuthenticationFailureException inside.
                ShouldHandle = new PredicateBuilder()
                    .Handle<BrokerUnreachableException>(exception => !IsAuthenticationRefused(exception))
                    .Handle<SocketException>(),
                BackoffType = DelayBackoffType.Exponential,
                UseJitter = true,
                MaxRetryAttempts = _settings.MaxConnectRetryCount,
                Delay = _settings.ConnectRetryDelay,
                MaxDelay = _settings.ConnectRetryMaxDelay,
                OnRetry = arguments =>
                {
                    _logger.ConnectRetrying(
                        _connectionName,
                        arguments.Outcome.Exception?.GetType().Name ?? "no exception",
                        arguments.AttemptNumber + 1,
                        arguments.RetryDelay);
                    return default;
                },
            });
        }

        return builder.Build();
    }

    private static bool IsAuthenticationRefused(Exception exception) => exception switch
    {
        AuthenticationFailureException => true,
        AggregateException aggregate => aggregate.InnerExceptions.Any(IsAuthenticationRefused),
        { InnerException: { } inner } => IsAuthenticationRefused(inner),
        _ => false,
    };

    public async ValueTask DisposeAsync()
    {
        Task<IConnection>? connecting;
        lock (_gate)
        {
            if (_disposing.IsCancellationRequested)
            {
                return;
            }

            _disposing.Cancel();
            connecting = _connecting;
        }

        if (connecting is not null)
        {
            // The cancelled attempt ends quickly; should it have won the race, its connection is closed too.
            await ((Task)connecting).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (connecting.IsCompletedSuccessfully)
            {
                await connecting.Result.DisposeAsync();
            }
        }

        _disposing.Dispose();
    }
}
