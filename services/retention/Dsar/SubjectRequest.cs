namespace Platform.Retention.Dsar;

/// <summary>
/// A data-subject request (GDPR Art. 12, 15, 17, 20; CCPA) about one member: answered by <see cref="DueAt"/> (one month
/// after receipt, or three once extended with a recorded reason, Art. 12(3)).
/// </summary>
internal sealed record SubjectRequest(
    string Id, string OrganizationId, string SubjectUserId, string SubjectEmail, string Type, string Status, DateTimeOffset ReceivedAt, string ReceivedBy,
    DateTimeOffset DueAt, DateTimeOffset? ExtendedAt, string? ExtendedBy, string? ExtensionReason, DateTimeOffset? CompletedAt)
{
    public static readonly IReadOnlyList<string> Types = ["access", "portability", "erasure"];

    public bool Overdue(DateTimeOffset now) => Status == "open" && now > DueAt;
}
