using StackExchange.Redis;

namespace Platform.Residency.Events;

/// <summary>
/// Tells every gateway replica that an organization's residency changed, after the change is committed: the
/// organization id on <c>platform:organizations:residency-changed</c> (Redis pub/sub, like the keys service's
/// invalidations). A gateway that missed it still drops its cached answer after <c>CacheDuration</c>. Without a Redis
/// connection (a deployment that has none), nothing is published.
/// </summary>
internal sealed partial class ResidencyInvalidations(IServiceProvider services, ILogger<ResidencyInvalidations> logger)
{
    public const string Channel = "platform:organizations:residency-changed";

    private readonly IConnectionMultiplexer? redis = services.GetService<IConnectionMultiplexer>();

    public async Task ChangedAsync(string organizationId)
    {
        if (redis is null) return;
        try
        {
            var receivers = await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(Channel), organizationId);
            LogPublished(logger, organizationId, receivers);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The change is committed; failing the request would only invite a retry.
            LogPublishFailed(logger, organizationId, exception);
        }
    }

    [LoggerMessage(EventId = 1814, Level = LogLevel.Debug, Message = "Residency change of {OrganizationId} published to {Receivers} gateways")]
    private static partial void LogPublished(ILogger logger, string organizationId, long receivers);

    [LoggerMessage(EventId = 1815, Level = LogLevel.Warning, Message = "Could not publish the residency change of {OrganizationId}; gateways drop it when their cache entry expires")]
    private static partial void LogPublishFailed(ILogger logger, string organizationId, Exception exception);
}
