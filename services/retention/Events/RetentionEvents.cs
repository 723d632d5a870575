using Platform.Messaging;

namespace Platform.Retention.Events;

// What retention publishes for the services that own data (and for the audit trail beside them).

/// <summary>An organization's period for a class changed; owners purge against the new period from now on.</summary>
[IntegrationEvent("retention.policy-changed")]
public sealed record RetentionPolicyChanged : IntegrationEvent
{
    public required string DataClass { get; init; }

    public required int Days { get; init; }

    public int? PreviousDays { get; init; }
}

/// <summary>A legal hold was placed: purges, closures and erasures skip what it covers until it is released.</summary>
[IntegrationEvent("legal-hold.placed")]
public sealed record LegalHoldPlaced : IntegrationEvent
{
    public required string HoldId { get; init; }

    public required string Scope { get; init; }

    public required string Target { get; init; }
}

[IntegrationEvent("legal-hold.released")]
public sealed record LegalHoldReleased : IntegrationEvent
{
    public required string HoldId { get; init; }

    public required string Scope { get; init; }

    public required string Target { get; init; }
}
