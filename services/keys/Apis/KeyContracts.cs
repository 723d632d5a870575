using System.Text.Json.Serialization;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;

namespace Platform.Keys.Apis;

// Requests and responses of /v1/organizations/{organizationId}/keys. Timestamps are UTC (UtcTimestampConverter).

public sealed record CreateKeyRequest(
    string Name,
    string Environment,
    IReadOnlyList<KeyScope> Scopes,
    IReadOnlyList<string>? AllowedCidrs = null,
    RateLimit? RateLimit = null,
    int? RateLimitPerMinute = null,
    DateTimeOffset? ExpiresAt = null);

public sealed record RotateKeyRequest(int? OverlapSeconds = null);

/// <summary>
/// A key's metadata. Never the secret or its hash. <see cref="RateLimitPerMinute"/> is the older form of
/// <see cref="RateLimit"/>, kept for existing clients: set only when the window is 60 seconds.
/// </summary>
public record KeyResponse(
    string Id,
    string OrganizationId,
    string Name,
    string Environment,
    string DisplayPrefix,
    string Status,
    IReadOnlyList<KeyScope> Scopes,
    IReadOnlyList<string> AllowedCidrs,
    RateLimit? RateLimit,
    int? RateLimitPerMinute,
    DateTimeOffset CreatedAt,
    string CreatedBy,
    DateTimeOffset UpdatedAt,
    DateTimeOffset? ExpiresAt,
    DateTimeOffset? RevokedAt,
    string? RotatedFrom,
    string? RotatedTo,
    DateTimeOffset? LastUsedAt,
    long UseCount)
{
    internal static KeyResponse From(ApiKey key, DateTimeOffset now) => new(
        key.Id, key.OrganizationId, key.Name, key.Environment.Name(), key.DisplayPrefix, key.StatusAt(now).ToString().ToLowerInvariant(),
        key.Scopes, key.AllowedCidrs, key.RateLimit, key.RateLimit?.PerMinute, key.CreatedAt, key.CreatedBy, key.UpdatedAt, key.ExpiresAt, key.RevokedAt,
        key.RotatedFrom, key.RotatedTo, key.LastUsedAt, key.UseCount);
}

/// <summary>A new key's one and only appearance: the full <see cref="Key"/> and its metadata (SPEC KEY-STORE).</summary>
public sealed record IssuedKeyResponse : KeyResponse
{
    internal IssuedKeyResponse(IssuedKey issued, DateTimeOffset now) : base(From(issued.Key, now)) => Key = issued.Secret;

    [JsonPropertyOrder(-1)]
    public string Key { get; }
}

public sealed record KeyPage(IReadOnlyList<KeyResponse> Items, string? NextCursor);
