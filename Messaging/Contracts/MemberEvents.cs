namespace Platform.Messaging.Contracts;

/// <summary>
/// Identity deprovisioned a member of an organization (SCIM deactivation or deletion, issue 18 item 6; removal by an
/// Owner or Admin, or leaving): the user no longer belongs to <see cref="IntegrationEvent.OrganizationId"/>. The keys
/// service revokes the API keys the user created in that organization. Ids only. Published as mandatory: an event that
/// no queue takes (keys has never started against this broker) is returned and stays in the publisher's outbox until
/// keys' queue exists, instead of being dropped with the keys left working.
/// </summary>
[IntegrationEvent("identity.member.deprovisioned", MustBeRouted = true)]
public sealed record MemberDeprovisioned : IntegrationEvent
{
    public required string UserId { get; init; }

    /// <summary><c>scim-deactivated</c>, <c>scim-deleted</c>, <c>member-removed</c> or <c>member-left</c>.</summary>
    public required string Reason { get; init; }
}
