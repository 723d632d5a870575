namespace Platform.Messaging;

/// <summary>
/// A fact that happened, published to other services: past-tense records with an id (idempotency key of the
/// inbox), the time, the organization and — carried in message headers, not here — the W3C trace context.
/// Each concrete record names its stable wire type with <see cref="IntegrationEventAttribute"/>.
/// </summary>
public abstract record IntegrationEvent
{
    public string Id { get; init; } = EventIds.New();

    public DateTimeOffset OccurredAt { get; init; }

    public string? OrganizationId { get; init; }
}

/// <summary>The stable wire name of an event type, also its routing key: <c>audit.recorded</c>, <c>key.revoked</c>.</summary>
[AttributeUsage(AttributeTargets.Class, Inherited = false)]
public sealed class IntegrationEventAttribute(string typeName) : Attribute
{
    public string TypeName { get; } = typeName;

    /// <summary>
    /// The event must reach at least one queue. The broker drops a message that no queue is bound for — an event
    /// published before its consumer's queue exists, on a fresh broker or a new deployment. For most events that is
    /// what a topic exchange means; an event that must not be lost (<c>audit.recorded</c>) is published as mandatory
    /// instead, so that an unroutable one counts as not published and stays where it was (outbox row, audit spool)
    /// to be retried until its consumer is there.
    /// </summary>
    public bool MustBeRouted { get; set; }
}
