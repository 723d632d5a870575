namespace Platform.Gateway.ApiKeys;

/// <summary>
/// <c>Gateway:Keys</c>: where API keys are verified. Without a <see cref="Url"/> the gateway accepts no API key
/// (routes that declare a permission then answer 401).
/// </summary>
internal sealed class ApiKeyOptions
{
    public const string SectionName = "Gateway:Keys";

    /// <summary>The keys service's base address.</summary>
    public Uri? Url { get; set; }

    /// <summary>The gateway's service credential at the keys service (<c>Keys:ServiceTokens</c> there).</summary>
    public string? ServiceToken { get; set; }

    /// <summary>How long a verified key is trusted without asking again; revocations cut it short (Redis fan-out).</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long a refused key is remembered, so a flood of one bad key costs one lookup.</summary>
    public TimeSpan NegativeCacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// At most this many answers are cached. Expired ones are swept when it is reached, so a flood of distinct made-up
    /// keys cannot grow the gateway's memory; past it, refusals are no longer cached.
    /// </summary>
    public int MaxCachedAnswers { get; set; } = 100_000;

    /// <summary>How often key use counts are reported to the keys service.</summary>
    public TimeSpan UsageFlushInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The Redis channel on which the keys service announces revoked, rotated and updated key ids.</summary>
    public string InvalidationChannel { get; set; } = "platform:keys:invalidated";

    /// <summary>How long an organization's IP allowlist is used without asking again; changes cut it short (Redis).</summary>
    public TimeSpan PolicyCacheDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The Redis channel on which the keys service announces organizations whose network policy changed.</summary>
    public string NetworkPolicyChannel { get; set; } = "platform:organizations:network-policy-changed";
}
