namespace Platform.Keys.Model;

/// <summary>A stored key: everything but the secret, of which only a keyed hash exists (see <see cref="KeyHasher"/>).</summary>
internal sealed record ApiKey(
    string Id,
    string OrganizationId,
    string Name,
    KeyEnvironment Environment,
    string DisplayPrefix,
    IReadOnlyList<KeyScope> Scopes,
    IReadOnlyList<string> AllowedCidrs,
    RateLimit? RateLimit,
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
    public KeyStatus StatusAt(DateTimeOffset now) =>
        RevokedAt is not null ? KeyStatus.Revoked
        : ExpiresAt <= now ? KeyStatus.Expired
        : KeyStatus.Active;
}

internal enum KeyStatus
{
    Active,
    Expired,
    Revoked,
}
