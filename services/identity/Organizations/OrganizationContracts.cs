namespace Platform.Identity.Organizations;

internal enum OrgOutcome
{
    Done,
    NotFound,
    Forbidden,
    LastOwner,
    Invalid,
    Conflict,
}

internal sealed record Organization(string Id, string Name, bool RequireMfa, string Role);

/// <summary>An invitation not yet accepted nor expired. Never its code.</summary>
internal sealed record PendingInvitation(string Id, string Email, string Role, string InvitedBy, string? InvitedByEmail, DateTimeOffset CreatedAt, DateTimeOffset ExpiresAt);

internal sealed record Member(string UserId, string Email, string Role, bool MfaEnrolled);

/// <summary>One user's access to a resource and every path it comes through (ID-ORG "who has access to this").</summary>
internal sealed record ResourceAccess(string UserId, string Email, string EffectiveRole, IReadOnlyList<AccessPath> Through);

internal sealed record AccessPath(string Kind, string Role);
