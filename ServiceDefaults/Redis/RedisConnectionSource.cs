using StackExchange.Redis;

namespace Platform.ServiceDefaults.Redis;

/// <summary>
/// Connects the multiplexer once, on the thread pool, so that the health check can wait for it with a timeout
/// while constructors that need <see cref="IConnectionMultiplexer"/> block on the same attempt.
/// </summary>
internal sealed class RedisConnectionSource(Func<IConnectionMultiplexer> connect) : IAsyncDisposable
{
    private readonly Lazy<Task<IConnectionMultiplexer>> _multiplexer = new(() => Task.Run(connect));

    public Task<IConnectionMultiplexer> GetAsync() => _multiplexer.Value;

    public async ValueTask DisposeAsync()
    {
        if (_multiplexer.IsValueCreated)
        {
            // Stop its reconnect loop even when only the health check ever used it.
            await ((Task)_multiplexer.Value).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            if (_multiplexer.Value.IsCompletedSuccessfully)
            {
                await _multiplexer.Value.Result.DisposeAsync();
            }
        }
    }
}
