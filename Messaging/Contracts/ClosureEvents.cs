namespace Platform.Messaging.Contracts;

// Account closure (SPEC RET-CLOSE, issue 16 item 5) between retention and every service that holds an organization's
// data: retention announces the closure (the organization is read-only from then on), its cancellation, and once the
// grace period is over asks each service to delete everything of the organization that no legal hold covers; each
// service answers what it deleted and what it kept because of a hold. Ids, names and counts only.

/// <summary>An Owner closed the organization: it is read-only (reads and exports still work) until <see cref="GraceEndsAt"/>.</summary>
[IntegrationEvent("organization.closure-requested")]
public sealed record ClosureRequested : IntegrationEvent
{
    public required string ClosureId { get; init; }

    public required DateTimeOffset GraceEndsAt { get; init; }

    public required string RequestedBy { get; init; }
}

/// <summary>An Owner cancelled the closure within its grace period: the organization is writable again.</summary>
[IntegrationEvent("organization.closure-cancelled")]
public sealed record ClosureCancelled : IntegrationEvent
{
    public required string ClosureId { get; init; }

    public required string CancelledBy { get; init; }
}

/// <summary>
/// The grace period is over: every service deletes everything of <see cref="IntegrationEvent.OrganizationId"/> except
/// what <see cref="Holds"/> covers, and answers with <see cref="ClosureAnswered"/>. Asked again (a new event id) until
/// every service has answered, so a handler must be safe to run twice.
/// </summary>
[IntegrationEvent("organization.closure-due")]
public sealed record ClosureDue : IntegrationEvent
{
    public required string ClosureId { get; init; }

    public required ClosureHolds Holds { get; init; }
}

/// <summary>
/// The organization's active legal holds when deletion began: the whole organization (then nothing is deleted),
/// datasets, data classes, and the data users stored.
/// </summary>
public sealed record ClosureHolds(bool Organization, IReadOnlyList<string> Datasets, IReadOnlyList<string> DataClasses, IReadOnlyList<string> Users)
{
    public static readonly ClosureHolds None = new(false, [], [], []);

    public bool Any => Organization || Datasets.Count > 0 || DataClasses.Count > 0 || Users.Count > 0;
}

/// <summary>
/// A service's answer: <see cref="Participant"/> (<c>storage-us</c>, <c>keys</c>, <c>identity</c>…), what it deleted
/// (counts by kind: <c>datasets</c>, <c>objects</c>, <c>bytes</c>, <c>keys</c>, <c>secrets</c>, <c>memberships</c>…),
/// what it kept because a hold covers it, and the organization key it destroyed (crypto-shred), if any.
/// </summary>
[IntegrationEvent("organization.closure-answered")]
public sealed record ClosureAnswered : IntegrationEvent
{
    public required string ClosureId { get; init; }

    public required string Participant { get; init; }

    public required IReadOnlyDictionary<string, long> Deleted { get; init; }

    public required IReadOnlyList<ClosureHeldItem> Held { get; init; }

    public string? DestroyedKey { get; init; }
}

/// <summary>An item kept because a hold covers it: its kind (<c>dataset</c>, <c>object</c>, <c>organization-key</c>…), its id and why.</summary>
public sealed record ClosureHeldItem(string Kind, string Id, string Reason);
