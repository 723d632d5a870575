using StackExchange.Redis;

namespace Platform.Keys.Events;

/// <summary>
/// Tells every gateway to drop its cached verification of a key (SPEC KEY-REVOKE): the key id on the Redis channel
/// <c>platform:keys:invalidated</c>, published after the change is committed. Pub/sub reaches every subscribed
/// gateway within milliseconds; a gateway that missed it (disconnected) still learns from <c>key.*</c> events and
/// from its cache's expiry.
/// </summary>
internal sealed partial class KeyInvalidations(IConnectionMultiplexer redis, ILogger<KeyInvalidations> logger)
{
    public const string Channel = "platform:keys:invalidated";

    private static readonly RedisChannel channel = RedisChannel.Literal(Channel);

    public async Task PublishAsync(string keyId)
    {
        try
        {
            var receivers = await redis.GetSubscriber().PublishAsync(channel, keyId);
            LogPublished(logger, keyId, receivers);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The change is committed and its event is in the outbox; failing the request would only invite a retry.
            LogPublishFailed(logger, keyId, exception);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Invalidation of {KeyId} published to {Receivers} subscribers")]
    private static partial void LogPublished(ILogger logger, string keyId, long receivers);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Could not publish the invalidation of {KeyId}; gateways drop it when their cache entry expires or the key event arrives")]
    private static partial void LogPublishFailed(ILogger logger, string keyId, Exception exception);
}
