namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>What every test event carries; each test class declares its own wire types so queues never cross-talk.</summary>
public abstract record TestEvent : IntegrationEvent
{
    public required string Subject { get; init; }

    /// <summary>The handler throws for this event until the probe is healed.</summary>
    public bool Poison { get; init; }
}
