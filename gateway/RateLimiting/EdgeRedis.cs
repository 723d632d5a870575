using StackExchange.Redis;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// The gateway's own Redis connection for decisions on the request path: it never queues a command while
/// disconnected (fail fast, the local limiter decides) and times commands out after <c>RedisTimeout</c>.
/// Redis is not part of the gateway's readiness: the gateway serves without it.
/// </summary>
internal sealed partial class EdgeRedis(IConfiguration configuration, Microsoft.Extensions.Options.IOptions<RateLimitOptions> options, ILogger<EdgeRedis> logger)
    : IAsyncDisposable
{
    private readonly Lock gate = new();
    private Task<IConnectionMultiplexer?>? connecting;

    /// <summary>The connection, or null while there is none (no connection string, or the first connect is still running).</summary>
    public IConnectionMultiplexer? Current
    {
        get
        {
            // Read without the lock once the connection has been started: this runs twice for every request.
            var task = Volatile.Read(ref connecting) ?? StartConnecting();
            return task.IsCompletedSuccessfully ? task.Result : null;
        }
    }

    /// <summary>Starts the first connection (at start-up, so that the first requests already share their limits).</summary>
    public Task<IConnectionMultiplexer?> StartConnecting()
    {
        lock (gate) return connecting ??= ConnectAsync();
    }

    private async Task<IConnectionMultiplexer?> ConnectAsync()
    {
        var connectionString = configuration.GetConnectionString("redis");
        if (string.IsNullOrWhiteSpace(connectionString)) return null;
        var redis = ConfigurationOptions.Parse(connectionString);
        redis.AbortOnConnectFail = false;
        redis.BacklogPolicy = BacklogPolicy.FailFast;
        redis.AsyncTimeout = redis.SyncTimeout = (int)Math.Max(1, options.Value.RedisTimeout.TotalMilliseconds);
        redis.ConnectTimeout = 2_000;
        redis.ClientName = "gateway-edge";
        var connection = await ConnectionMultiplexer.ConnectAsync(redis);
        LogConnected(logger, connection.IsConnected);
        return connection;
    }

    public async ValueTask DisposeAsync()
    {
        if (connecting is { IsCompletedSuccessfully: true, Result: { } connection }) await connection.DisposeAsync();
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Information, Message = "Rate limits use Redis (connected now: {Connected})")]
    private static partial void LogConnected(ILogger logger, bool connected);
}
