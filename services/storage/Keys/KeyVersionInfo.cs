namespace Platform.Storage.Keys;

/// <summary>What may be said about an organization's keys: versions, use and policy, never key material.</summary>
public sealed record OrganizationKeyStatus(
    string OrganizationId,
    string Region,
    int CurrentVersion,
    int MinDecryptionVersion,
    int RotationPeriodDays,
    DateTimeOffset RotatedAt,
    DateTimeOffset? DestroyedAt,
    IReadOnlyList<KeyVersionInfo> Versions);

public sealed record KeyVersionInfo(int Version, string State, long UsageCount, DateTimeOffset CreatedAt, string Reason, string RootKey);
