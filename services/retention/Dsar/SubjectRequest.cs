namespace Platform.Retention.Dsar;

/// <summary>
/// A data-subject request (GDPR Art. 12, 15, 17, 20; CCPA) about one member: answered by <see cref="DueAt"/> (one month
/// after receipt, or three once extended with a recorded reason, Art. 12(3)). Every participant service is asked at
/// registration (<see cref="AskedAt"/>, <see cref="Attempts"/>) and again until all have answered; only then is it
/// <c>completed</c> (an archive stored, or an erasure's signed <see cref="Receipt"/>).
/// </summary>
internal sealed record SubjectRequest(
    string Id, string OrganizationId, string SubjectUserId, string SubjectEmail, string Type, string Status, DateTimeOffset ReceivedAt, string ReceivedBy,
    DateTimeOffset DueAt, DateTimeOffset? ExtendedAt, string? ExtendedBy, string? ExtensionReason, DateTimeOffset? CompletedAt,
    bool IncludeObjects = false, DateTimeOffset? AskedAt = null, int Attempts = 0, string? Receipt = null, string? Signature = null)
{
    public const string Access = "access";
    public const string Portability = "portability";
    public const string Erasure = "erasure";

    public static readonly IReadOnlyList<string> Types = [Access, Portability, Erasure];

    public bool Overdue(DateTimeOffset now) => Status == "open" && now > DueAt;

    public bool IsExport => Type is Access or Portability;
}

/// <summary>A participant's stored answer to a request.</summary>
internal sealed record SubjectAnswer(string Participant, string Answer, DateTimeOffset AnsweredAt);
