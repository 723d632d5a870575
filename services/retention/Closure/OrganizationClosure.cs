using Platform.Messaging.Contracts;

namespace Platform.Retention.Closure;

/// <summary>
/// An organization's closure: <c>pending</c> (read-only, cancellable until <see cref="GraceEndsAt"/>), <c>deleting</c>
/// (the services were asked), <c>closed</c> (every service answered; <see cref="Receipt"/> is signed), or <c>cancelled</c>.
/// </summary>
internal sealed record OrganizationClosure(
    string Id, string OrganizationId, string Status, DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset GraceEndsAt,
    DateTimeOffset? CancelledAt, string? CancelledBy, DateTimeOffset? DeletingSince, DateTimeOffset? ClosedAt, string? Receipt, string? Signature);

internal static class ClosureStatuses
{
    public const string Pending = "pending";
    public const string Deleting = "deleting";
    public const string Closed = "closed";
    public const string Cancelled = "cancelled";
}

/// <summary>A service's answer as stored: what it deleted, what a hold kept, the key it destroyed.</summary>
public sealed record ClosureServiceReceipt(string Participant, IReadOnlyDictionary<string, long> Deleted, IReadOnlyList<ClosureHeldItem> Held, string? DestroyedKey);

/// <summary>Records kept after closure for their own period: billing records for their legal period, the audit log for its own.</summary>
public sealed record KeptRecords(string DataClass, string Owner, DateTimeOffset? Until, string Reason);

/// <summary>
/// The one final receipt of a closure (issue 16 item 5): what each service deleted, what holds kept, which
/// organization keys were destroyed, what is kept for a legal period. Version 1; the field order is the signed text's.
/// </summary>
public sealed record ClosureReceipt(
    int Version, string ClosureId, string OrganizationId, DateTimeOffset RequestedAt, string RequestedBy, DateTimeOffset GraceEndsAt,
    DateTimeOffset DeletionStartedAt, DateTimeOffset ClosedAt, ClosureHolds Holds, IReadOnlyList<ClosureServiceReceipt> Services, IReadOnlyList<KeptRecords> Kept);
