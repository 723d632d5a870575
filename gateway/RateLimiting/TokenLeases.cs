using System.Collections.Concurrent;

namespace Platform.Gateway.RateLimiting;

/// <summary>
/// A replica's leases of tokens (issue 20): while a bucket is far from empty, the Redis decision that charges a request
/// also takes a lease of up to <see cref="LeaseOptions.Size"/> further tokens for this replica (at most a tenth of the
/// bucket, and only if the bucket is still at least half full afterwards). The replica then decides that bucket's next
/// requests itself, spending one leased token each, for at most <see cref="LeaseOptions.Lifetime"/>; the next Redis
/// decision for the bucket gives back what is left. Near the limit no lease is granted, and every request is one
/// Redis decision again, exactly as without leases.
/// </summary>
/// <remarks>
/// The bound: every token a replica spends was charged to the bucket in Redis before, so a bucket emptied at once lets
/// exactly its limit through across all replicas. Tokens are spent up to a lease's lifetime after they were charged,
/// so in any window of the limit's length the replicas together let through at most what one Redis decision per
/// request would, plus the tokens leased before the window and spent in it: at most one lease per replica, and never
/// more than the bucket refills in a lease's lifetime. A replica that stops receiving a bucket's requests keeps its
/// unspent tokens (at most one lease) until its next request for it: meanwhile the others see that many fewer.
/// A check-only bucket (the failed-credential check of an address) is known clean once Redis has said it refuses
/// nothing: it can only start refusing through a charge, and every charge is announced to all replicas
/// (<see cref="Forget"/>), which then ask Redis again.
/// </remarks>
internal sealed class TokenLeases(TimeProvider time, LeaseOptions options)
{
    private const int MaxEntries = 100_000;
    private readonly ConcurrentDictionary<string, Lease> leases = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> clean = new(StringComparer.Ordinal);
    private readonly long lifetime = (long)(options.Lifetime.TotalSeconds * time.TimestampFrequency);

    // Bumped by every Forget: a "clean" answer that was in flight across one is not remembered.
    private long generation;

    public long Generation => Interlocked.Read(ref generation);

    /// <summary>How many tokens a lease of this bucket takes: none for a check-only or a small bucket.</summary>
    public int SizeFor(Bucket bucket) => bucket.CheckOnly ? 0 : Math.Min(options.Size, bucket.Requests / 10) is var n and >= 2 ? n : 0;

    /// <summary>Whether every bucket of a request can be leased (then the Redis decision asks for leases).</summary>
    public bool Leasable(IReadOnlyList<Bucket> buckets)
    {
        var any = false;
        for (var i = 0; i < buckets.Count; i++)
        {
            if (buckets[i].CheckOnly) continue;
            if (SizeFor(buckets[i]) == 0) return false;
            any = true;
        }

        return any;
    }

    /// <summary>Decides the request on this replica if every bucket has a live lease (or is known clean); else null, charging nothing.</summary>
    public Decision? TryDecide(IReadOnlyList<Bucket> buckets)
    {
        var now = time.GetTimestamp();
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = buckets[i];
            if (bucket.CheckOnly)
            {
                if (!clean.TryGetValue(bucket.Subject, out var until) || until <= now) return null;
            }
            else if (!leases.TryGetValue(bucket.Subject, out var lease) || lease.Until <= now || Volatile.Read(ref lease.Tokens) <= 0)
            {
                return null;
            }
        }

        var states = new BucketState[buckets.Count];
        for (var i = 0; i < buckets.Count; i++)
        {
            var bucket = buckets[i];
            if (bucket.CheckOnly)
            {
                states[i] = new BucketState(bucket.Requests, 0);
                continue;
            }

            var left = leases.TryGetValue(bucket.Subject, out var lease) ? Interlocked.Decrement(ref lease.Tokens) : -1;
            if (left < 0)
            {
                // Spent (or dropped) meanwhile by another request: give back what this one took and let Redis decide.
                if (lease is not null) Interlocked.Increment(ref lease.Tokens);
                for (var j = 0; j < i; j++)
                {
                    if (!buckets[j].CheckOnly && leases.TryGetValue(buckets[j].Subject, out var taken)) Interlocked.Increment(ref taken.Tokens);
                }

                return null;
            }

            states[i] = new BucketState(lease!.Remaining + left, lease.ResetMicroseconds);
        }

        return new Decision(true, 0, states, Local: false);
    }

    /// <summary>
    /// Before a Redis decision: for each bucket whose lease is spent or expired (and that no other request is renewing),
    /// the tokens to ask for and the unspent ones to give back. Every claimed renewal must end with <see cref="Complete"/>.
    /// </summary>
    public void Prepare(IReadOnlyList<Bucket> buckets, int[] wanted, int[] returned)
    {
        var now = time.GetTimestamp();
        if (leases.Count > MaxEntries) Sweep(now);
        for (var i = 0; i < buckets.Count; i++)
        {
            var size = SizeFor(buckets[i]);
            if (size == 0) continue;
            var lease = leases.GetOrAdd(buckets[i].Subject, static _ => new Lease());
            if ((lease.Until > now && Volatile.Read(ref lease.Tokens) > 0) || Interlocked.CompareExchange(ref lease.Renewing, 1, 0) != 0) continue;
            wanted[i] = size;
            returned[i] = Math.Max(0, Interlocked.Exchange(ref lease.Tokens, 0));
        }
    }

    /// <summary>After the Redis decision (or its failure, <paramref name="decision"/> null): installs the granted leases and remembers clean check-only buckets.</summary>
    public void Complete(IReadOnlyList<Bucket> buckets, int[] wanted, Decision? decision, long generationBefore)
    {
        var now = time.GetTimestamp();
        for (var i = 0; i < buckets.Count; i++)
        {
            if (buckets[i].CheckOnly)
            {
                if (decision is { Local: false } && decision.States[i].Remaining > 0 && Generation == generationBefore)
                {
                    if (clean.Count > MaxEntries) clean.Clear();
                    clean[buckets[i].Subject] = now + lifetime;
                }

                continue;
            }

            if (wanted[i] == 0 || !leases.TryGetValue(buckets[i].Subject, out var lease)) continue;
            var granted = decision?.Granted is { } all ? all[i] : 0;
            if (granted > 0)
            {
                lease.Remaining = decision!.States[i].Remaining - granted;
                lease.ResetMicroseconds = decision.States[i].ResetMicroseconds;
                lease.Until = now + lifetime;
                Interlocked.Add(ref lease.Tokens, granted);
            }

            Volatile.Write(ref lease.Renewing, 0);
        }
    }

    /// <summary>A check-only bucket was charged (here or on another replica): ask Redis again for it.</summary>
    public void Forget(string subject)
    {
        Interlocked.Increment(ref generation);
        clean.TryRemove(subject, out _);
    }

    /// <summary>Redis failed: whatever this replica knew may be stale when it comes back (announcements were missed).</summary>
    public void Clear()
    {
        Interlocked.Increment(ref generation);
        clean.Clear();
        leases.Clear();
    }

    private void Sweep(long now)
    {
        foreach (var (subject, lease) in leases)
        {
            if (lease.Until <= now && Volatile.Read(ref lease.Renewing) == 0) leases.TryRemove(subject, out _);
        }
    }

    /// <summary>One bucket's lease on this replica. Fields, not properties: they are updated with <see cref="Interlocked"/>.</summary>
    private sealed class Lease
    {
        public int Tokens;
        public int Renewing;
        public long Until;
        public long Remaining;
        public long ResetMicroseconds;
    }
}
