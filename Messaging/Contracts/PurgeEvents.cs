namespace Platform.Messaging.Contracts;

// The purge conversation (SPEC RET-PURGE) between retention and a service that owns data: retention asks, the owner
// deletes what is its organization's and answers with what it did, item by item. Both sides use these records.

/// <summary>Retention asks <see cref="Owner"/> to delete expired items of <see cref="IntegrationEvent.OrganizationId"/>.</summary>
[IntegrationEvent("purge.requested")]
public sealed record PurgeRequested : IntegrationEvent
{
    public required string PurgeId { get; init; }

    /// <summary>The owning service (<see cref="DataClass.Owner"/>): only it acts on the request.</summary>
    public required string Owner { get; init; }

    public required IReadOnlyList<PurgeItem> Items { get; init; }
}

/// <summary>
/// One item to delete: its id at the owner, its class, when it expired and under which policy. For a class whose items
/// retention does not track one by one (the audit service's <c>audit_log</c> and <c>request_log</c>), the item is the
/// organization's whole class: <see cref="ItemId"/> is the class's name and <see cref="ExpiredAt"/> the cutoff (what was
/// recorded before it has expired).
/// </summary>
public sealed record PurgeItem(string ItemId, string DataClass, DateTimeOffset ExpiredAt, string Policy);

/// <summary>The owner's answer: one outcome per requested item.</summary>
[IntegrationEvent("purge.completed")]
public sealed record PurgeCompleted : IntegrationEvent
{
    public required string PurgeId { get; init; }

    public required string Owner { get; init; }

    public required IReadOnlyList<PurgeOutcome> Items { get; init; }
}

/// <summary>
/// What became of an item: <see cref="PurgeOutcomes"/>. For a deleted encrypted item, <see cref="DestroyedKey"/> names
/// the data key destroyed with it (never key material). For a whole class (see <see cref="PurgeItem"/>),
/// <see cref="Entries"/> counts what went and <see cref="Anchor"/> says what stands for it (the audit log's signed tree
/// size and root hash where verification now starts).
/// </summary>
public sealed record PurgeOutcome(string ItemId, string Outcome, DateTimeOffset? DeletedAt, string? DestroyedKey, long? Entries = null, string? Anchor = null);

public static class PurgeOutcomes
{
    /// <summary>Deleted now, with its data key.</summary>
    public const string Deleted = "deleted";

    /// <summary>Not there (deleted before): nothing to do, and nothing to prove either.</summary>
    public const string Absent = "absent";

    /// <summary>Not the requesting organization's, or not of the requested class: refused, nothing changed.</summary>
    public const string Refused = "refused";
}
