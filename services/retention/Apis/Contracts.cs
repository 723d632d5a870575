using Platform.Retention.Model;
using Platform.Retention.Policies;

namespace Platform.Retention.Apis;

// Requests and responses of /v1/retention/…: records, never the stored rows.

/// <summary>The organization's plan and the policy in force for every class of the shared list.</summary>
public sealed record PoliciesResponse(string OrganizationId, string Plan, IReadOnlyList<PolicyResponse> Items);

/// <summary>
/// One class: <see cref="Kind"/> <c>days</c> (then <see cref="Days"/> applies, <see cref="Bounds"/> is what the plan allows),
/// <c>while-active</c> or <c>legal-period</c> (not configurable); <see cref="Source"/> <c>default</c> or <c>organization</c>.
/// </summary>
public sealed record PolicyResponse(
    string DataClass, string Owner, string Kind, bool Configurable, int? Days, int? DefaultDays, BoundsResponse? Bounds, string Source,
    DateTimeOffset? UpdatedAt, string? UpdatedBy)
{
    internal static PolicyResponse From(EffectivePolicy policy) => new(
        policy.Rule.DataClass, policy.Rule.Owner, policy.Rule.Kind, policy.Rule.Configurable, policy.Days, policy.Rule.DefaultDays,
        policy.Bounds is { } bounds ? new BoundsResponse(bounds.MinDays, bounds.MaxDays) : null, policy.Source, policy.UpdatedAt, policy.UpdatedBy);
}

public sealed record BoundsResponse(int MinDays, int MaxDays);

/// <summary>The period of a class, in days (0: discarded right after processing).</summary>
public sealed record SetPolicyRequest(int Days);

/// <summary>A legal hold on a <c>scope</c> (organization, dataset, data_class, user) and its <c>target</c> (the organization's id, a dataset id, a class, a user id).</summary>
public sealed record PlaceHoldRequest(string Scope, string Reason, string? Target = null);

public sealed record ReleaseHoldRequest(string Reason);

public sealed record HoldResponse(
    string Id, string Scope, string Target, string Reason, string Status, DateTimeOffset PlacedAt, string PlacedBy,
    DateTimeOffset? ReleasedAt, string? ReleasedBy, string? ReleaseReason)
{
    internal static HoldResponse From(LegalHold hold) => new(
        hold.Id, hold.Scope, hold.Target, hold.Reason, hold.Active ? "active" : "released", hold.PlacedAt, hold.PlacedBy, hold.ReleasedAt, hold.ReleasedBy, hold.ReleaseReason);
}

public sealed record HoldsResponse(string OrganizationId, IReadOnlyList<HoldResponse> Items);

public sealed record SetPlanRequest(string Plan);

public sealed record PlanResponse(string OrganizationId, string Plan, DateTimeOffset? UpdatedAt, string? UpdatedBy);
