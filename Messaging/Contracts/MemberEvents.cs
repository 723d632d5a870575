namespace Platform.Messaging.Contracts;

/// <summary>
/// Identity deprovisioned a member of an organization (SCIM deactivation or deletion, issue 18 item 6): the user no
/// longer belongs to <see cref="IntegrationEvent.OrganizationId"/>. The keys service revokes the API keys the user
/// created in that organization. Ids only.
/// </summary>
[IntegrationEvent("identity.member.deprovisioned")]
public sealed record MemberDeprovisioned : IntegrationEvent
{
    public required string UserId { get; init; }

    /// <summary><c>scim-deactivated</c> or <c>scim-deleted</c>.</summary>
    public required string Reason { get; init; }
}
