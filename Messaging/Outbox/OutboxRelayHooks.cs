namespace Platform.Messaging.Outbox;

/// <summary>
/// A seam for fault-injection tests: runs after a batch was published and confirmed, before it is marked sent —
/// the one moment a crash makes the relay send the batch again.
/// </summary>
internal sealed class OutboxRelayHooks
{
    public Func<IReadOnlyList<string>, CancellationToken, Task>? AfterPublishBeforeMarkingSent { get; init; }
}
