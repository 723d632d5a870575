using System.Diagnostics.Metrics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// Decides with Redis when it answers and with the per-replica <see cref="LocalRateLimiter"/> when it does not.
/// After a failure the local limiter decides alone for <c>RedisRetryInterval</c>, then Redis is tried again, so the
/// gateway goes back to shared limits by itself. Local decisions are counted in
/// <c>platform.gateway.rate_limit.local_decisions</c>.
/// </summary>
internal sealed partial class RateLimiter
{
    public const string MeterName = "Platform.Gateway.RateLimiting";

    private readonly EdgeRedis redis;
    private readonly RateLimitOptions settings;
    private readonly TimeProvider time;
    private readonly ILogger<RateLimiter> logger;
    private readonly LocalRateLimiter local;
    private readonly Counter<long> localDecisions;
    private readonly Counter<long> refusals;
    private readonly TokenLeases? leases;
    private readonly RedisChannel forgetChannel;
    private RedisRateLimiter? shared;
    private long redisRetryAt;
    private int usingLocal;

    public RateLimiter(EdgeRedis redis, IOptions<RateLimitOptions> options, TimeProvider time, IMeterFactory meters, ILogger<RateLimiter> logger)
    {
        this.redis = redis;
        settings = options.Value;
        this.time = time;
        this.logger = logger;
        local = new LocalRateLimiter(time, settings.Replicas);
        leases = settings.Leases.Enabled ? new TokenLeases(time, settings.Leases) : null;
        forgetChannel = RedisChannel.Literal(settings.KeyPrefix + "forget");
        var meter = meters.Create(MeterName);
        localDecisions = meter.CreateCounter<long>("platform.gateway.rate_limit.local_decisions", description: "Rate-limit decisions taken by the per-replica limiter because Redis was unreachable.");
        refusals = meter.CreateCounter<long>("platform.gateway.rate_limit.refusals", description: "Requests refused with 429.");
    }

    /// <summary>Local decisions so far (also the metric); for tests and the README's promise.</summary>
    public long LocalDecisions => Interlocked.Read(ref localDecisionCount);

    private long localDecisionCount;

    /// <param name="dryRun">Only ask whether the buckets would allow a request now; charge nothing.</param>
    /// <remarks>One async method for Redis and the fallback: this runs once or twice for every request.</remarks>
    public async Task<Decision> DecideAsync(IReadOnlyList<Bucket> buckets, bool dryRun = false)
    {
        // Most requests of a busy bucket: decided here, on tokens this replica leased from Redis.
        if (leases is not null && !dryRun && leases.TryDecide(buckets) is { } leased)
        {
            Interlocked.Increment(ref leasedDecisionCount);
            return leased;
        }

        Decision? decision = null;
        var now = time.GetTimestamp();
        if (now >= Interlocked.Read(ref redisRetryAt) && redis.Current is { } connection)
        {
            var leasing = leases is not null && !dryRun && leases.Leasable(buckets);
            int[]? wanted = null, returned = null;
            var generation = leases?.Generation ?? 0;
            if (leasing)
            {
                (wanted, returned) = (new int[buckets.Count], new int[buckets.Count]);
                leases!.Prepare(buckets, wanted, returned);
            }

            try
            {
                decision = await Shared(connection).DecideAsync(buckets, settings.KeyPrefix, dryRun, wanted, returned).WaitAsync(settings.RedisTimeout, time);
                if (Interlocked.Exchange(ref usingLocal, 0) == 1) LogBackOnRedis(logger);
            }
            catch (Exception exception) when (exception is RedisException or TimeoutException)
            {
                Interlocked.Exchange(ref redisRetryAt, now + (long)(settings.RedisRetryInterval.TotalSeconds * time.TimestampFrequency));
                if (Interlocked.Exchange(ref usingLocal, 1) == 0) LogFallingBack(logger, exception.GetType().Name);
                leases?.Clear();
            }
            finally
            {
                if (leases is not null && !dryRun) leases.Complete(buckets, wanted ?? NoLeases(buckets.Count), decision, generation);
            }
        }

        decision ??= DecideLocally(buckets, dryRun);
        if (!decision.Allowed) refusals.Add(1);
        return decision;
    }

    /// <summary>
    /// A check-only bucket (an address's failed credentials) was just charged: every replica, this one included, asks
    /// Redis again before it lets a request of that address pass on what it knew (announced on Redis pub/sub).
    /// </summary>
    public void Forget(string subject)
    {
        if (leases is null) return;
        leases.Forget(subject);
        if (redis.Current is { } connection)
        {
            _ = connection.GetSubscriber().PublishAsync(forgetChannel, subject, CommandFlags.FireAndForget);
        }
    }

    /// <summary>Requests decided on leased tokens so far, without Redis.</summary>
    public long LeasedDecisions => Interlocked.Read(ref leasedDecisionCount);

    private long leasedDecisionCount;

    private static readonly int[][] noLeases = [.. Enumerable.Range(0, 8).Select(n => new int[n])];

    private static int[] NoLeases(int count) => count < noLeases.Length ? noLeases[count] : new int[count];

    /// <summary>One limiter per connection rather than one per decision.</summary>
    private RedisRateLimiter Shared(IConnectionMultiplexer connection)
    {
        var current = shared;
        if (current?.Redis == connection) return current;
        shared = current = new RedisRateLimiter(connection);
        if (leases is not null)
        {
            // Other replicas' charges of check-only buckets: what this one knew of them is stale.
            _ = connection.GetSubscriber().SubscribeAsync(forgetChannel, (_, subject) =>
            {
                if (subject.HasValue) leases.Forget(subject!);
            }).ContinueWith(static (task, state) => LogSubscribeFailed((ILogger)state!, task.Exception!.InnerException!.GetType().Name),
                logger, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
        }

        return current;
    }

    private Decision DecideLocally(IReadOnlyList<Bucket> buckets, bool dryRun)
    {
        Interlocked.Increment(ref localDecisionCount);
        localDecisions.Add(1);
        return local.Decide(buckets, dryRun);
    }

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning, Message = "Redis did not answer a rate-limit decision ({ErrorType}); each replica limits on its own until it does")]
    private static partial void LogFallingBack(ILogger logger, string errorType);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning, Message = "Subscribing to other replicas' failed-credential charges failed ({ErrorType}); what this replica knows of an address lives at most a lease's lifetime")]
    private static partial void LogSubscribeFailed(ILogger logger, string errorType);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information, Message = "Rate limits are shared through Redis again")]
    private static partial void LogBackOnRedis(ILogger logger);
}
