using Microsoft.Extensions.Options;
using Platform.Gateway.RateLimiting;
using StackExchange.Redis;

namespace Platform.Gateway.Residency;

/// <summary>
/// Listens on the residency service's Redis channel and drops an organization's cached residency the moment it
/// changes, so every gateway replica routes by the new one at once rather than after <c>CacheDuration</c>. Redis is not
/// part of readiness: while it is down, a cached answer lives at most <c>CacheDuration</c>.
/// </summary>
internal sealed partial class ResidencyInvalidationListener(
    OrganizationResidencies residencies, EdgeRedis redis, IOptions<ResidencyRoutingOptions> options, ILogger<ResidencyInvalidationListener> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!residencies.Enabled || await redis.StartConnecting() is not { } connection) return;
        var channel = await connection.GetSubscriber().SubscribeAsync(RedisChannel.Literal(options.Value.InvalidationChannel));
        channel.OnMessage(message =>
        {
            var organizationId = (string?)message.Message;
            if (organizationId is { Length: > 0 and <= 128 }) residencies.Invalidate(organizationId);
        });
        LogListening(logger, options.Value.InvalidationChannel);
        await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        await channel.UnsubscribeAsync();
    }

    [LoggerMessage(EventId = 4802, Level = LogLevel.Information, Message = "Listening for residency changes on Redis channel {Channel}")]
    private static partial void LogListening(ILogger logger, string channel);
}
