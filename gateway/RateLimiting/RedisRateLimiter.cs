using System.Security.Cryptography;
using System.Text;
using StackExchange.Redis;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// The shared limiter: one <c>EVALSHA</c> per request decides every bucket of the request atomically, on the Redis
/// server's clock, so all gateway replicas count against the same buckets.
/// </summary>
internal sealed class RedisRateLimiter(IConnectionMultiplexer redis)
{
    public IConnectionMultiplexer Redis => redis;

    // KEYS: the buckets. ARGV: per bucket, the emission interval T and the window, in microseconds, and 1 if it is
    // only checked, never charged; then 1 for a dry run (decide, charge nothing).
    // Returns: allowed (0/1), retry-after, then per bucket the TAT after the decision; all in microseconds.
    internal const string Script = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local current, nxt = {}, {}
        local retry = 0
        for i = 1, #KEYS do
          local interval = tonumber(ARGV[3 * i - 2])
          local window = tonumber(ARGV[3 * i - 1])
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
          if retry == 0 and ARGV[3 * #KEYS + 1] ~= '1' and ARGV[3 * i] ~= '1' then
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
        var values = new RedisValue[buckets.Count * 3 + 1];
        values[^1] = dryRun ? 1 : 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            keys[i] = prefix + buckets[i].Subject;
            values[3 * i] = buckets[i].IntervalMicroseconds;
            values[3 * i + 1] = buckets[i].WindowMicroseconds;
            values[3 * i + 2] = buckets[i].CheckOnly ? 1 : 0;
        }

        // EVALSHA by the script's hash, so that no request hashes or looks up the script text; a Redis that does not
        // know the script (restarted, flushed) answers NOSCRIPT once, and EVAL with the text loads it again.
        var database = redis.GetDatabase();
        RedisResult answer;
        try
        {
            answer = await database.ScriptEvaluateAsync(ScriptHash, keys, values);
        }
        catch (RedisServerException exception) when (exception.Message.StartsWith("NOSCRIPT", StringComparison.Ordinal))
        {
            answer = await database.ScriptEvaluateAsync(Script, keys, values);
        }

        var result = (RedisResult[])answer!;
        var now = (long)result[2];
        var states = new BucketState[buckets.Count];
        for (var i = 0; i < buckets.Count; i++) states[i] = Gcra.State(buckets[i], (long)result[3 + i], now);
        return new Decision((long)result[0] == 1, (long)result[1], states, Local: false);
    }

    /// <summary>The SHA-1 Redis knows the script by (<c>SCRIPT LOAD</c> answers the same).</summary>
    internal static readonly byte[] ScriptHash = SHA1.HashData(Encoding.UTF8.GetBytes(Script));
}
