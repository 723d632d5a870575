namespace Platform.Retention.Model;

/// <summary>An organization's plan, which sets the bounds of its retention periods (issue 16's table).</summary>
internal static class Plans
{
    /// <summary>The default plan: the table's defaults, which an organization may only shorten.</summary>
    public const string SelfService = "self-service";

    /// <summary>Opens the configurable range (up to seven years).</summary>
    public const string Enterprise = "enterprise";

    public static readonly IReadOnlyList<string> All = [SelfService, Enterprise];

    public static bool IsKnown(string? plan) => plan is not null && All.Contains(plan, StringComparer.Ordinal);
}
