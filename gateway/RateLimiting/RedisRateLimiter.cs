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

    // KEYS: the buckets. ARGV: per bucket, the emission interval T and the window, in microseconds, 1 if it is only
    // checked, never charged, the tokens to lease to the caller with the decision and the unspent tokens of its last
    // lease to give back; then 1 for a dry run (decide, charge nothing, lease nothing).
    // Given-back tokens move the TAT back first (never before now). A lease is granted only with an allowed request,
    // and only if the bucket stays at least half full afterwards.
    // Returns: allowed (0/1), retry-after, now, then per bucket the TAT after the decision and the tokens leased.
    internal const string Script = """
        local time = redis.call('TIME')
        local now = tonumber(time[1]) * 1000000 + tonumber(time[2])
        local dry = ARGV[5 * #KEYS + 1] == '1'
        local current, nxt, dirty = {}, {}, {}
        local retry = 0
        for i = 1, #KEYS do
          local interval = tonumber(ARGV[5 * i - 4])
          local window = tonumber(ARGV[5 * i - 3])
          local returned = tonumber(ARGV[5 * i])
          local tat = tonumber(redis.call('GET', KEYS[i]) or now)
          if returned > 0 and not dry then
            tat = tat - returned * interval
            dirty[i] = true
          end
          if tat < now then tat = now end
          current[i] = tat
          nxt[i] = tat + interval
          local allow_at = nxt[i] - window
          if now < allow_at and allow_at - now > retry then retry = allow_at - now end
        end
        local result = { retry == 0 and 1 or 0, retry, now }
        for i = 1, #KEYS do
          local tat = current[i]
          local granted = 0
          if retry == 0 and not dry and ARGV[5 * i - 2] ~= '1' then
            tat = nxt[i]
            dirty[i] = true
            local interval = tonumber(ARGV[5 * i - 4])
            local window = tonumber(ARGV[5 * i - 3])
            local wanted = tonumber(ARGV[5 * i - 1])
            if wanted > 0 and 2 * (tat + wanted * interval - now) <= window then
              tat = tat + wanted * interval
              granted = wanted
            end
          end
          if dirty[i] then
            redis.call('SET', KEYS[i], tat, 'PX', math.floor((tat - now) / 1000) + 1)
          end
          result[#result + 1] = tat
          result[#result + 1] = granted
        end
        return result
        """;

    public Task<Decision> DecideAsync(IReadOnlyList<Bucket> buckets, string prefix, bool dryRun = false) => DecideAsync(buckets, prefix, dryRun, null, null);

    /// <param name="wanted">Per bucket, the tokens to lease with the decision (<see cref="TokenLeases"/>); null for none.</param>
    /// <param name="returned">Per bucket, the unspent tokens of this replica's last lease, given back; null for none.</param>
    public async Task<Decision> DecideAsync(IReadOnlyList<Bucket> buckets, string prefix, bool dryRun, int[]? wanted, int[]? returned)
    {
        var keys = new RedisKey[buckets.Count];
        var values = new RedisValue[buckets.Count * 5 + 1];
        values[^1] = dryRun ? 1 : 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            keys[i] = prefix + buckets[i].Subject;
            values[5 * i] = buckets[i].IntervalMicroseconds;
            values[5 * i + 1] = buckets[i].WindowMicroseconds;
            values[5 * i + 2] = buckets[i].CheckOnly ? 1 : 0;
            values[5 * i + 3] = wanted?[i] ?? 0;
            values[5 * i + 4] = returned?[i] ?? 0;
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
        int[]? granted = null;
        for (var i = 0; i < buckets.Count; i++)
        {
            states[i] = Gcra.State(buckets[i], (long)result[3 + 2 * i], now);
            var leased = (int)result[4 + 2 * i];
            if (leased == 0) continue;
            (granted ??= new int[buckets.Count])[i] = leased;
            // What the client may still send counts the tokens leased to this replica, which it has not spent yet.
            states[i] = states[i] with { Remaining = states[i].Remaining + leased };
        }

        return new Decision((long)result[0] == 1, (long)result[1], states, Local: false, granted);
    }

    /// <summary>The SHA-1 Redis knows the script by (<c>SCRIPT LOAD</c> answers the same).</summary>
    internal static readonly byte[] ScriptHash = SHA1.HashData(Encoding.UTF8.GetBytes(Script));
}
