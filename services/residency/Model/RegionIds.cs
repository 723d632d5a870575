namespace Platform.Residency.Model;

/// <summary>
/// Region ids: 1 to 16 lower-case ASCII letters or digits. No '-' or '_': a region id is a segment of the dataset ids
/// pinned to it (<c>ds_eu_…</c>), which the gateway routes by.
/// </summary>
internal static class RegionIds
{
    public static bool IsWellFormed(string? value) =>
        value is { Length: > 0 and <= 16 } && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c));
}

/// <summary>Organization ids as the platform issues them: <c>org_</c> and 1 to 60 ASCII letters or digits.</summary>
internal static class OrganizationIds
{
    public static bool IsWellFormed(string? value) =>
        value is { Length: > 4 and <= 64 } && value.StartsWith("org_", StringComparison.Ordinal) && value.AsSpan(4).ToString().All(char.IsAsciiLetterOrDigit);
}
