namespace Platform.Gateway.RateLimiting;

/// <summary>One limit applied to one subject: the Redis key of its bucket, and its policy's name for the headers.</summary>
/// <param name="CheckOnly">Decides with the others but is never charged (the failed-credential bucket, checked on every request with a credential and charged only for a refusal).</param>
internal sealed record Bucket(string Name, string Subject, int Requests, int WindowSeconds, bool CheckOnly = false)
{
    /// <summary>The emission interval T: one request's share of the window, in microseconds.</summary>
    /// <remarks>At least 1 µs: more than a million requests a second cannot be told apart, and T must never be 0.</remarks>
    public long IntervalMicroseconds => Math.Max(1, WindowMicroseconds / Math.Max(1, Requests));

    public long WindowMicroseconds => WindowSeconds * 1_000_000L;
}

/// <summary>What a bucket has left after the decision, for the <c>RateLimit</c> field.</summary>
internal readonly record struct BucketState(long Remaining, long ResetMicroseconds);

/// <summary>The decision over all of a request's buckets: allowed only if every bucket allows.</summary>
/// <param name="Granted">Per bucket, the tokens leased to this replica with the decision (<see cref="TokenLeases"/>); null for none.</param>
internal sealed record Decision(bool Allowed, long RetryAfterMicroseconds, IReadOnlyList<BucketState> States, bool Local, IReadOnlyList<int>? Granted = null);

/// <summary>
/// The generic cell rate algorithm, over several buckets at once: a bucket stores its theoretical arrival time (TAT);
/// a request is allowed when TAT + T − now ≤ window, and then moves TAT on by T (a check-only bucket's stays). A
/// request refused by one bucket is charged to none. This is the in-memory twin of <see cref="RedisRateLimiter"/>'s Lua script, used while Redis
/// is unreachable; both are tested against the same cases.
/// </summary>
internal static class Gcra
{
    /// <param name="dryRun">Decide without charging: whether a request would be allowed now.</param>
    public static Decision Decide(IReadOnlyList<Bucket> buckets, long now, Func<string, long?> read, Action<string, long, long> write, bool dryRun = false)
    {
        var current = new long[buckets.Count];
        var next = new long[buckets.Count];
        long retry = 0;
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = buckets[i];
            current[i] = Math.Max(read(bucket.Subject) ?? now, now);
            next[i] = current[i] + bucket.IntervalMicroseconds;
            var allowAt = next[i] - bucket.WindowMicroseconds;
            if (now < allowAt) retry = Math.Max(retry, allowAt - now);
        }

        var allowed = retry == 0;
        var states = new BucketState[buckets.Count];
        for (var i = 0; i < buckets.Count; i++)
        {
            var charged = allowed && !dryRun && !buckets[i].CheckOnly;
            var tat = charged ? next[i] : current[i];
            if (charged) write(buckets[i].Subject, tat, tat - now);
            states[i] = State(buckets[i], tat, now);
        }

        return new Decision(allowed, retry, states, Local: false);
    }

    /// <summary>Whether this bucket alone refuses a request now (nothing left in it).</summary>
    public static bool Refuses(BucketState state) => state.Remaining == 0;

    public static BucketState State(Bucket bucket, long tat, long now) =>
        new(Math.Max(0, (bucket.WindowMicroseconds - (tat - now)) / bucket.IntervalMicroseconds), Math.Max(0, tat - now));
}
