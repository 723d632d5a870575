using StackExchange.Redis;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// The shared limiter: one <c>EVALSHA</c> per request decides every bucket of the request atomically, on the Redis
/// server's clock, so all gateway replicas count against the same buckets.
/// </summary>
internal sealed class RedisRateLimiter(IConnectionMultiplexer redis)
{
    // KEYS: the buckets. ARGV: per bucket, the emission interval T and the window, in microseconds; then 1 for a dry
    // run (decide, charge nothing).
    // Returns: allowed (0/1), retry-after, then per bucket the TAT after the decision; all in microseconds.
    internal const string Script = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local current, nxt = {}, {}
        local retry = 0
        for i = 1, #KEYS do
          local interval = tonumber(ARGV[2 * i - 1])
          local window = tonumber(ARGV[2 * i])
          local tat = tonumber(redis.call('GET', KEYS[i]) or now)
          if tat < now then tat = now end
          current[i] = tat
          nxt[i] = tat + interval
          local allow_at = nxt[i] - window
          if now < allow_at and allow_at - now > retry then retry = allow_at - now end
        end
        local result = { retry == 0 and 1 or 0, retry, now }
        for i = 1, #KEYS do
          local tat = current[i]
          if retry == 0 and ARGV[2 * #KEYS + 1] ~= '1' then
            tat = nxt[i]
            redis.call('SET', KEYS[i], tat, 'PX', math.floor((tat - now) / 1000) + 1)
          end
          result[#result + 1] = tat
        end
        return result
        """;

    public async Task<Decision> DecideAsync(IReadOnlyList<Bucket> buckets, string prefix, bool dryRun = false)
    {
        var keys = new RedisKey[buckets.Count];
        var values = new RedisValue[buckets.Count * 2 + 1];
        values[^1] = dryRun ? 1 : 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            keys[i] = prefix + buckets[i].Subject;
            values[2 * i] = buckets[i].IntervalMicroseconds;
            values[2 * i + 1] = buckets[i].WindowMicroseconds;
        }

        var result = (RedisResult[])(await redis.GetDatabase().ScriptEvaluateAsync(Script, keys, values))!;
        var now = (long)result[2];
        var states = new BucketState[buckets.Count];
        for (var i = 0; i < buckets.Count; i++) states[i] = Gcra.State(buckets[i], (long)result[3 + i], now);
        return new Decision((long)result[0] == 1, (long)result[1], states, Local: false);
    }
}
