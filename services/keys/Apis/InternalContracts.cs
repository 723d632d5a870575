using Platform.Keys.Model;

namespace Platform.Keys.Apis;

// Requests and responses of /internal/v1/keys, for the gateway.

public sealed record VerifyKeyRequest(string Key);

/// <summary>
/// The key may be used, within these limits. <see cref="RateLimit"/> is the key's own limit (null: the plan's);
/// <see cref="RateLimitPerMinute"/> is its older form, set only when the window is 60 seconds.
/// </summary>
public sealed record VerifiedKey(
    bool Valid,
    string KeyId,
    string OrganizationId,
    string Environment,
    IReadOnlyList<KeyScope> Scopes,
    IReadOnlyList<string> AllowedCidrs,
    RateLimit? RateLimit,
    int? RateLimitPerMinute,
    DateTimeOffset? ExpiresAt);

/// <summary>The key may not be used: <c>malformed</c>, <c>unknown</c>, <c>expired</c> or <c>revoked</c>.</summary>
public sealed record RejectedKey(bool Valid, string Reason);

public sealed record UsageReport(IReadOnlyList<KeyUsage> Usage);

/// <summary>How many of the reported keys exist and were updated.</summary>
public sealed record UsageRecorded(int Keys);
