namespace Platform.Security.Authentication;

/// <summary>An audit entry about who was let in or refused (SPEC AUD-INGEST): the actor is always the request's principal.</summary>
public sealed record SecurityAuditEntry(
    string Actor, string Action, string? OrganizationId, string? Target, string Outcome, string? Ip, string? RequestId, Dictionary<string, string>? Details);

/// <summary>Where a service files <see cref="SecurityAuditEntry"/>s: its outbox, or the audit service its own store.</summary>
public interface ISecurityAudit
{
    /// <summary>Never throws: a failure is logged by the implementation.</summary>
    Task RecordAsync(SecurityAuditEntry entry, CancellationToken cancellationToken);
}
