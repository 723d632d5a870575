using System.Collections.Concurrent;

namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>What the handlers of one test host saw, and whether poison events still fail.</summary>
public sealed class HandlerProbe
{
    private readonly ConcurrentDictionary<string, int> _calls = new();

    public volatile bool Healed;

    public int BatchCalls;

    public int CallsFor(string eventId) => _calls.GetValueOrDefault(eventId);

    public void Called(string eventId) => _calls.AddOrUpdate(eventId, 1, (_, calls) => calls + 1);

    public void ThrowIfPoisoned(TestEvent @event)
    {
        if (@event.Poison && !Healed)
        {
            // A line break and a long tail: the dead-letter reason must come out as one bounded line.
            throw new InvalidOperationException($"Cannot apply '{@event.Subject}': the ledger is closed.\r\nDetails: {new string('x', 2000)}");
        }
    }
}

public sealed class RecordingHandler<TEvent>(HandlerProbe probe) : IIntegrationEventHandler<TEvent>
    where TEvent : TestEvent
{
    public async Task HandleAsync(TEvent @event, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        probe.Called(@event.Id);
        probe.ThrowIfPoisoned(@event);
        await AppliedEvents.InsertAsync(context, @event, cancellationToken);
    }
}

public sealed class RecordingBatchHandler<TEvent>(HandlerProbe probe) : IBatchIntegrationEventHandler<TEvent>
    where TEvent : TestEvent
{
    public async Task HandleAsync(IReadOnlyList<TEvent> events, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref probe.BatchCalls);
        foreach (var @event in events)
        {
            probe.Called(@event.Id);
            probe.ThrowIfPoisoned(@event);
            await AppliedEvents.InsertAsync(context, @event, cancellationToken);
        }
    }
}
