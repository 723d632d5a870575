using Npgsql;
using StackExchange.Redis;

namespace Platform.Keys.Events;

/// <summary>
/// Tells every gateway to drop what it cached about a change, after the change is committed (SPEC KEY-REVOKE,
/// GW-IP): a key id on <c>platform:keys:invalidated</c>, an organization id on
/// <c>platform:organizations:network-policy-changed</c>. Pub/sub reaches every subscribed gateway within
/// milliseconds; a gateway that missed it (disconnected) still learns from the outbox event or its cache's expiry.
/// </summary>
internal sealed partial class GatewayInvalidations(IConnectionMultiplexer redis, Npgsql.NpgsqlDataSource dataSource, ILogger<GatewayInvalidations> logger)
{
    public const string KeyChannel = "platform:keys:invalidated";

    public const string NetworkPolicyChannel = "platform:organizations:network-policy-changed";

    public Task KeyChangedAsync(string keyId) => PublishAsync(KeyChannel, keyId);

    public Task NetworkPolicyChangedAsync(string organizationId) => PublishAsync(NetworkPolicyChannel, organizationId);

    /// <summary>
    /// For revocations made inside an event handler's transaction, which commits after the handler returns: tells the
    /// gateways once the rows read as revoked (checked every 50 ms, for at most 30 s), so that no gateway re-reads the key
    /// as valid between the message and the commit and caches that answer.
    /// </summary>
    public void KeysRevokedAfterCommit(IReadOnlyList<string> keyIds) => _ = Task.Run(async () =>
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await using var command = dataSource.CreateCommand("SELECT count(*) FROM api_keys WHERE id = ANY($1) AND revoked_at IS NOT NULL");
                command.Parameters.AddWithValue(keyIds.ToArray());
                if ((long)(await command.ExecuteScalarAsync())! == keyIds.Count) break;
                await Task.Delay(50);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogPublishFailed(logger, string.Join(',', keyIds), KeyChannel, exception);
        }

        foreach (var id in keyIds) await KeyChangedAsync(id);
    });

    /// <summary>
    /// For keys deleted inside an event handler's transaction (an organization's closure): tells the gateways once the
    /// rows are gone (checked every 50 ms, for at most 30 s), and drops the organization's network policy with them.
    /// </summary>
    public void KeysDeletedAfterCommit(IReadOnlyList<string> keyIds, string organizationId) => _ = Task.Run(async () =>
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        try
        {
            while (waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                await using var command = dataSource.CreateCommand("SELECT count(*) FROM api_keys WHERE id = ANY($1)");
                command.Parameters.AddWithValue(keyIds.ToArray());
                if ((long)(await command.ExecuteScalarAsync())! == 0) break;
                await Task.Delay(50);
            }
        }
        catch (Exception exception) when (exception is NpgsqlException or TimeoutException)
        {
            LogPublishFailed(logger, string.Join(',', keyIds), KeyChannel, exception);
        }

        foreach (var id in keyIds) await KeyChangedAsync(id);
        await NetworkPolicyChangedAsync(organizationId);
    });

    private async Task PublishAsync(string channel, string id)
    {
        try
        {
            var receivers = await redis.GetSubscriber().PublishAsync(RedisChannel.Literal(channel), id);
            LogPublished(logger, id, channel, receivers);
        }
        catch (Exception exception) when (exception is RedisException or TimeoutException)
        {
            // The change is committed and its event is in the outbox; failing the request would only invite a retry.
            LogPublishFailed(logger, id, channel, exception);
        }
    }

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Change of {Id} published on {Channel} to {Receivers} subscribers")]
    private static partial void LogPublished(ILogger logger, string id, string channel, long receivers);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Warning, Message = "Could not publish the change of {Id} on {Channel}; gateways drop it when their cache entry expires or the event arrives")]
    private static partial void LogPublishFailed(ILogger logger, string id, string channel, Exception exception);
}
