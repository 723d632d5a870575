using Microsoft.Extensions.Options;
using Platform.Gateway.Organizations;
using StackExchange.Redis;

namespace Platform.Gateway.ApiKeys;

/// <summary>
/// Listens on the keys service's Redis channel and drops cached verifications of changed keys, so a revocation
/// reaches every gateway replica within a second. Redis is not part of readiness: while it is down, cached answers
/// live at most <see cref="ApiKeyOptions.CacheDuration"/>.
/// </summary>
internal sealed partial class KeyInvalidationListener(
    ApiKeyVerifier verifier, NetworkPolicies policies, IOptions<ApiKeyOptions> options, IConfiguration configuration, ILogger<KeyInvalidationListener> logger)
    : BackgroundService
{
    private ConnectionMultiplexer? redis;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var connectionString = configuration.GetConnectionString("redis");
        if (!verifier.Enabled || string.IsNullOrWhiteSpace(connectionString)) return;

        var redisOptions = ConfigurationOptions.Parse(connectionString);
        redisOptions.AbortOnConnectFail = false;
        redisOptions.ClientName = "gateway-key-invalidations";
        redis = await ConnectionMultiplexer.ConnectAsync(redisOptions);
        var channel = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(options.Value.InvalidationChannel));
        channel.OnMessage(message =>
        {
            var keyId = (string?)message.Message;
            if (keyId is { Length: > 0 and <= 64 }) verifier.Invalidate(keyId);
        });
        var organizations = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal(options.Value.NetworkPolicyChannel));
        organizations.OnMessage(message =>
        {
            var organizationId = (string?)message.Message;
            if (organizationId is { Length: > 0 and <= 128 }) policies.Invalidate(organizationId);
        });
        LogListening(logger, options.Value.InvalidationChannel);
        await Task.Delay(Timeout.Infinite, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (redis is not null) await redis.DisposeAsync();
    }

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Listening for key changes on Redis channel {Channel}")]
    private static partial void LogListening(ILogger logger, string channel);
}
