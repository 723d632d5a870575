namespace Platform.Gateway.RateLimiting;

/// <summary>
/// <c>Gateway:RateLimits</c> (SPEC GW-RATE): limits per key, per organization and, for requests without credentials,
/// per client address. Plans give the defaults; a key's own limit (set at the keys service) overrides its plan's.
/// </summary>
internal sealed class RateLimitOptions
{
    public const string SectionName = "Gateway:RateLimits";

    public bool Enabled { get; set; } = true;

    /// <summary>The plan of organizations that <see cref="OrganizationPlans"/> does not name.</summary>
    public string DefaultPlan { get; set; } = "standard";

    public Dictionary<string, PlanLimits> Plans { get; set; } = new(StringComparer.Ordinal)
    {
        ["standard"] = new() { Key = new() { Requests = 600, WindowSeconds = 60 }, Organization = new() { Requests = 3_000, WindowSeconds = 60 } },
    };

    /// <summary>Organization id → plan name.</summary>
    public Dictionary<string, string> OrganizationPlans { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Requests without a key or token, per client address.</summary>
    public Limit Anonymous { get; set; } = new() { Requests = 120, WindowSeconds = 60 };

    /// <summary>
    /// Refused credentials (401 for a key or token) per client address. Past it, requests from that address that carry
    /// a credential get 429 before any verification, so guessing keys or replaying forged tokens is slowed to this rate.
    /// </summary>
    public Limit AuthenticationFailures { get; set; } = new() { Requests = 30, WindowSeconds = 60 };

    /// <summary>How long one Redis decision may take before the local limiter decides instead.</summary>
    public TimeSpan RedisTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>After Redis fails, how long the local limiter decides alone before Redis is tried again.</summary>
    public TimeSpan RedisRetryInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// While Redis is unreachable each replica enforces the limits divided by this number, so that the replicas
    /// together stay near the limit. Set it to the number of gateway replicas.
    /// </summary>
    public int Replicas { get; set; } = 1;

    public string KeyPrefix { get; set; } = "platform:ratelimit:";

    /// <summary>Leases of tokens, so that a replica decides most requests of a busy bucket without Redis (<see cref="TokenLeases"/>).</summary>
    public LeaseOptions Leases { get; set; } = new();
}

/// <summary>
/// <c>Gateway:RateLimits:Leases</c>: a replica takes up to <see cref="Size"/> tokens of a bucket at once from Redis
/// (at most a tenth of the bucket, and only while the bucket stays at least half full after the lease) and spends them
/// within <see cref="Lifetime"/>; near the limit every request is one Redis decision again.
/// </summary>
internal sealed class LeaseOptions
{
    public bool Enabled { get; set; } = true;

    /// <summary>The most tokens one lease takes from a bucket.</summary>
    public int Size { get; set; } = 100;

    /// <summary>How long a lease's tokens may be spent; tokens left then go back to the bucket with the next lease.</summary>
    public TimeSpan Lifetime { get; set; } = TimeSpan.FromSeconds(1);
}

internal sealed class PlanLimits
{
    public Limit Key { get; set; } = new();

    public Limit Organization { get; set; } = new();
}

/// <summary>At most <see cref="Requests"/> per <see cref="WindowSeconds"/>, all of which may come at once.</summary>
internal sealed class Limit
{
    public int Requests { get; set; }

    public int WindowSeconds { get; set; }

    /// <summary>At most a million requests a second: the algorithm counts in microseconds.</summary>
    public bool IsValid => Requests is >= 1 and <= 10_000_000 && WindowSeconds is >= 1 and <= 86_400 && Requests <= WindowSeconds * 1_000_000L;
}
