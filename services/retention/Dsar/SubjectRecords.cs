using System.Text.Json;
using Platform.Messaging.Contracts;

namespace Platform.Retention.Dsar;

/// <summary>
/// The machine-readable archive of an access or portability request (GDPR Art. 15, 20): the person's data in the
/// organization, per service and section, and what a service cut at its limit. Version 1; signed as serialized.
/// </summary>
public sealed record SubjectArchive(
    int Version, string RequestId, string OrganizationId, string Type, string SubjectUserId, string SubjectEmail, DateTimeOffset ReceivedAt, DateTimeOffset GeneratedAt,
    bool IncludesObjects, IReadOnlyDictionary<string, IReadOnlyDictionary<string, JsonElement>> Services, IReadOnlyDictionary<string, IReadOnlyDictionary<string, long>> Truncated);

/// <summary>A service's answer to an erasure as stored and signed.</summary>
public sealed record SubjectErasurePart(
    string Participant, IReadOnlyDictionary<string, long> Erased, IReadOnlyList<ClosureHeldItem> Held, long HeldCount, IReadOnlyList<ClosureHeldItem> Kept);

/// <summary>
/// The signed receipt of an erasure (GDPR Art. 17): what each service erased or anonymised, what a legal hold kept
/// (listed up to 1,000 per service, counted in full), and what is kept for a legal period. Version 1.
/// </summary>
public sealed record SubjectErasureReceipt(
    int Version, string RequestId, string OrganizationId, string SubjectUserId, DateTimeOffset ReceivedAt, DateTimeOffset CompletedAt, ClosureHolds Holds,
    IReadOnlyList<SubjectErasurePart> Services);
