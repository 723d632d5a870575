namespace Platform.Messaging.Outbox;

/// <summary>An unsent row of the <c>outbox</c> table, as the relay reads it.</summary>
internal sealed record OutboxRow(
    long Id, string EventId, string Type, string Payload, string? TraceParent, string? TraceState, int Attempts, bool MustBeRouted);

/// <summary>A row whose publish failed: when to try again and why (sanitized, never the payload).</summary>
internal sealed record OutboxFailure(long Id, int Attempts, DateTimeOffset NextAttemptAt, string Error);
