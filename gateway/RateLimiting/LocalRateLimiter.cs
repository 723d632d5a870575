using System.Collections.Concurrent;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// The per-replica limiter used while Redis is unreachable: the same algorithm in memory, each limit divided by the
/// number of replicas. Expired buckets are dropped as the table grows, so it stays bounded by the active subjects.
/// </summary>
internal sealed class LocalRateLimiter(TimeProvider time, int replicas)
{
    private const int SweepThreshold = 100_000;
    private readonly ConcurrentDictionary<string, long> tats = new(StringComparer.Ordinal);
    private readonly Lock gate = new();

    public int Buckets => tats.Count;

    public Decision Decide(IReadOnlyList<Bucket> buckets, bool dryRun = false)
    {
        var shares = buckets.Select(b => b with { Requests = Math.Max(1, b.Requests / Math.Max(1, replicas)) }).ToArray();
        var now = time.GetUtcNow().ToUnixTimeMilliseconds() * 1000;
        lock (gate)
        {
            if (tats.Count > SweepThreshold) Sweep(now);
            return Gcra.Decide(shares, now, subject => tats.TryGetValue(subject, out var tat) ? tat : null, (subject, tat, _) => tats[subject] = tat, dryRun)
                with { Local = true };
        }
    }

    private void Sweep(long now)
    {
        foreach (var (subject, tat) in tats)
        {
            if (tat <= now) tats.TryRemove(subject, out _);
        }
    }
}
