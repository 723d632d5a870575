namespace Platform.Retention.Model;

/// <summary>How long items of a class live: a number of days after they were stored, or a rule no policy changes.</summary>
internal static class RetentionKinds
{
    /// <summary>A period in days, within the plan's bounds; 0 is zero retention (discarded right after processing).</summary>
    public const string Days = "days";

    /// <summary>Kept while the account is active; deleted when deleted themselves or when the organization is closed.</summary>
    public const string WhileActive = "while-active";

    /// <summary>Kept for their legal period after the organization is closed.</summary>
    public const string LegalPeriod = "legal-period";
}

/// <summary>The inclusive bounds of a configurable period, in days.</summary>
internal sealed record DayBounds(int MinDays, int MaxDays)
{
    public bool Contains(int days) => days >= MinDays && days <= MaxDays;
}

/// <summary>
/// A data class's retention rule: its kind, its default in days (the self-service plan's value) and, for a
/// configurable class, the bounds per plan.
/// </summary>
internal sealed record RetentionRule(string DataClass, string Owner, string Kind, int? DefaultDays, DayBounds? SelfService, DayBounds? Enterprise)
{
    public bool Configurable => Kind == RetentionKinds.Days;

    public DayBounds? BoundsFor(string plan) => plan == Plans.Enterprise ? Enterprise : SelfService;
}
