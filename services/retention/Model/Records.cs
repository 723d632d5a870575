namespace Platform.Retention.Model;

/// <summary>An organization's plan; <see cref="UpdatedAt"/> is null when it was never set (self-service).</summary>
internal sealed record OrganizationPlan(string OrganizationId, string Plan, DateTimeOffset? UpdatedAt, string? UpdatedBy);

/// <summary>A period an organization chose for a class.</summary>
internal sealed record StoredPolicy(string OrganizationId, string DataClass, int Days, DateTimeOffset UpdatedAt, string UpdatedBy);

/// <summary>A legal hold, active while <see cref="ReleasedAt"/> is null.</summary>
internal sealed record LegalHold(
    string Id, string OrganizationId, string Scope, string Target, string Reason, DateTimeOffset PlacedAt, string PlacedBy,
    DateTimeOffset? ReleasedAt, string? ReleasedBy, string? ReleaseReason)
{
    public bool Active => ReleasedAt is null;
}

/// <summary>What a legal hold covers.</summary>
internal static class HoldScopes
{
    public const string Organization = "organization";
    public const string Dataset = "dataset";
    public const string DataClass = "data_class";
    public const string User = "user";

    public static readonly IReadOnlyList<string> All = [Organization, Dataset, DataClass, User];
}
