namespace Platform.Keys.Model;

/// <summary>
/// A key's own rate limit (SPEC GW-RATE), overriding its organization's plan at the gateway: at most
/// <see cref="Requests"/> requests per <see cref="WindowSeconds"/>, e.g. <c>{ "requests": 1000, "windowSeconds": 60 }</c>.
/// </summary>
public sealed record RateLimit(int Requests, int WindowSeconds)
{
    public const int MaxRequests = 1_000_000;
    public const int MaxWindowSeconds = 86_400;

    /// <summary>The older per-minute form, for the answers that still carry <c>rateLimitPerMinute</c>.</summary>
    public int? PerMinute => WindowSeconds == 60 ? Requests : null;
}
