using StackExchange.Redis;

namespace Platform.Keys.Events;

/// <summary>
/// Tells every gateway to drop its cached network policy of an organization (SPEC GW-IP): the organization id on the
/// Redis channel <c>platform:organizations:network-policy-changed</c>, published after the change is committed. A
/// gateway that missed it learns from the <c>organization.network-policy.changed</c> event or its cache's expiry.
/// </summary>
internal sealed partial class NetworkPolicyInvalidations(IConnectionMultiplexer redis, ILogger<NetworkPolicyInvalidations> logger)
{
    public const string Channel = "platform:organizations:network-policy-changed";

    private static readonly RedisChannel channel = RedisChannel.Literal(Channel);

    public async Task PublishAsync(string organizationId)
    {
        try
        {
            var receivers = await redis.GetSubscriber().PublishAsync(channel, organizationId);
            LogPublished(logger, organizationId, receivers);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The change is committed and its event is in the outbox; failing the request would only invite a retry.
            LogPublishFailed(logger, organizationId, exception);
        }
    }

    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Network policy change of {OrganizationId} published to {Receivers} subscribers")]
    private static partial void LogPublished(ILogger logger, string organizationId, long receivers);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Could not publish the network policy change of {OrganizationId}; gateways pick it up when their cache entry expires or the event arrives")]
    private static partial void LogPublishFailed(ILogger logger, string organizationId, Exception exception);
}
