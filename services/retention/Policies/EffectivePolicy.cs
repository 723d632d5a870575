using Platform.Retention.Model;

namespace Platform.Retention.Policies;

/// <summary>
/// What applies to a class in an organization now: the chosen period when there is one (held to the current plan's
/// bounds, should the plan have narrowed since), else the class's default.
/// </summary>
internal sealed record EffectivePolicy(RetentionRule Rule, string Plan, int? Days, string Source, DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    public const string DefaultSource = "default";
    public const string OrganizationSource = "organization";

    public DayBounds? Bounds => Rule.BoundsFor(Plan);

    public static EffectivePolicy Of(RetentionRule rule, string plan, StoredPolicy? stored)
    {
        if (!rule.Configurable || stored is null) return new(rule, plan, rule.DefaultDays, DefaultSource, null, null);
        var bounds = rule.BoundsFor(plan)!;
        return new(rule, plan, Math.Clamp(stored.Days, bounds.MinDays, bounds.MaxDays), OrganizationSource, stored.UpdatedAt, stored.UpdatedBy);
    }
}
