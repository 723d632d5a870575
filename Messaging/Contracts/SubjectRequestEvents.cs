using System.Text.Json;

namespace Platform.Messaging.Contracts;

// Data-subject requests (SPEC RET-DSAR, GDPR Art. 15, 17, 20; issue 16 item 6) between retention and every service
// that holds a person's data in an organization: retention asks, each service answers its part for that person in that
// organization only. Asked again (a new event id) until every service has answered, so a handler must be safe to run
// twice. The person is named by identity's user id; an answer carries data only for an export.

/// <summary>
/// Gather <see cref="SubjectUserId"/>'s data in <see cref="IntegrationEvent.OrganizationId"/> for an access or
/// portability archive; <see cref="IncludeObjects"/>: the organization allows its objects the person uploaded in it.
/// Asked in two rounds: the first (no <see cref="Actors"/>) to every service but storage; once keys has answered, the
/// second to storage with <see cref="Actors"/>: the person's user id and the ids of the API keys they created, the
/// principals whose uploads are theirs.
/// </summary>
[IntegrationEvent("subject-request.export-requested")]
public sealed record SubjectExportRequested : IntegrationEvent
{
    public required string RequestId { get; init; }

    public required string SubjectUserId { get; init; }

    public required bool IncludeObjects { get; init; }

    /// <summary>The second round's uploaders (storage answers only this round; the others only the first).</summary>
    public IReadOnlyList<string>? Actors { get; init; }
}

/// <summary>
/// A service's part of an archive: <see cref="Sections"/> by name (<c>profile</c>, <c>memberships</c>, <c>apiKeys</c>…),
/// each a JSON value; <see cref="Truncated"/> names a section cut at the service's limit (with how many were left out).
/// </summary>
[IntegrationEvent("subject-request.export-answered")]
public sealed record SubjectExportAnswered : IntegrationEvent
{
    public required string RequestId { get; init; }

    public required string Participant { get; init; }

    public required IReadOnlyDictionary<string, JsonElement> Sections { get; init; }

    public IReadOnlyDictionary<string, long> Truncated { get; init; } = new Dictionary<string, long>();
}

/// <summary>
/// Erase or anonymise <see cref="SubjectUserId"/>'s data in <see cref="IntegrationEvent.OrganizationId"/>, except what
/// <see cref="Holds"/> covers (the organization, the person, a dataset or a data class).
/// </summary>
[IntegrationEvent("subject-request.erasure-requested")]
public sealed record SubjectErasureRequested : IntegrationEvent
{
    public required string RequestId { get; init; }

    public required string SubjectUserId { get; init; }

    public required ClosureHolds Holds { get; init; }
}

/// <summary>
/// A service's answer to an erasure: what it erased or anonymised (counts by kind), what a hold kept (at most 1,000
/// listed, <see cref="HeldCount"/> all of them), and what it keeps for a legal period (<see cref="Kept"/>, with why).
/// </summary>
[IntegrationEvent("subject-request.erasure-answered")]
public sealed record SubjectErasureAnswered : IntegrationEvent
{
    public required string RequestId { get; init; }

    public required string Participant { get; init; }

    public required IReadOnlyDictionary<string, long> Erased { get; init; }

    public required IReadOnlyList<ClosureHeldItem> Held { get; init; }

    public required long HeldCount { get; init; }

    public IReadOnlyList<ClosureHeldItem> Kept { get; init; } = [];
}
