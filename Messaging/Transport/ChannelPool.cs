using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using RabbitMQ.Client;

namespace Platform.Messaging.Transport;

/// <summary>
/// Publisher channels with confirms and confirm tracking. A caller rents one for a whole batch, so pipelined
/// publishes of one caller never interleave with another's; a channel that failed is thrown away, not reused.
/// </summary>
internal sealed class ChannelPool(BrokerConnection connections, IOptions<EventBusOptions> options) : IAsyncDisposable
{
    private readonly ConcurrentBag<PooledChannel> _idle = [];
    // Lazy: reading options while the host constructs its services would pre-empt start-up validation's full report.
    private readonly Lazy<SemaphoreSlim> _slots = new(() => new SemaphoreSlim(options.Value.PublisherChannels, options.Value.PublisherChannels));
    private volatile bool _disposed;

    public async Task<PooledChannel> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.Value.WaitAsync(cancellationToken);
        try
        {
            while (_idle.TryTake(out var idle))
            {
                if (idle.Channel.IsOpen)
                {
                    return idle;
                }

                await idle.DisposeAsync();
            }

            return await OpenAsync(cancellationToken);
        }
        catch
        {
            _slots.Value.Release();
            throw;
        }
    }

    public async ValueTask ReturnAsync(PooledChannel channel, bool healthy)
    {
        if (healthy && channel.Channel.IsOpen && !_disposed)
        {
            _idle.Add(channel);
        }
        else
        {
            await channel.DisposeAsync();
        }

        _slots.Value.Release();
    }

    private async Task<PooledChannel> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = await connections.GetAsync(cancellationToken);
        // The client throttles past half of this many unconfirmed publishes; the publisher's own window stays below it.
        var limiter = new ThrottlingRateLimiter(options.Value.MaxOutstandingConfirms * 2);
        try
        {
            var channel = await connection.CreateChannelAsync(
                new CreateChannelOptions(
                    publisherConfirmationsEnabled: true,
                    publisherConfirmationTrackingEnabled: true,
                    outstandingPublisherConfirmationsRateLimiter: limiter),
                cancellationToken);
            var pooled = new PooledChannel(channel, limiter);
            try
            {
                // A publish to a missing exchange would close the channel (404); declaring first is idempotent and cheap.
                await Topology.DeclareExchangesAsync(channel, cancellationToken);
                return pooled;
            }
            catch
            {
                await pooled.DisposeAsync();
                throw;
            }
        }
        catch
        {
            limiter.Dispose();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        while (_idle.TryTake(out var channel))
        {
            await channel.DisposeAsync();
        }
    }
}

internal sealed class PooledChannel(IChannel channel, IDisposable limiter) : IAsyncDisposable
{
    public IChannel Channel { get; } = channel;

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Channel.DisposeAsync();
        }
        catch (Exception)
        {
            // A channel of a dead connection may fail to close; it is gone either way.
        }

        limiter.Dispose();
    }
}
