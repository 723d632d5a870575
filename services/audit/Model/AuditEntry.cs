namespace Platform.Audit.Model;

/// <summary>One stored audit entry as the API returns it.</summary>
public sealed record AuditEntry(
    string Id,
    string EventId,
    DateTimeOffset OccurredAt,
    string? OrganizationId,
    string Actor,
    string Action,
    string? Target,
    string Outcome,
    string? Ip,
    string? RequestId,
    string? UserAgent,
    string? Region,
    IReadOnlyDictionary<string, string>? Details);

public sealed record AuditPage(IReadOnlyList<AuditEntry> Items, string? NextCursor);
