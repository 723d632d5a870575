namespace Platform.Messaging.Consuming;

/// <summary>What the service consumes, filled in by <see cref="EventBusBuilder"/> before the host starts.</summary>
internal sealed class SubscriptionRegistry
{
    private readonly Dictionary<string, Subscription> _byType = new(StringComparer.Ordinal);

    public bool UseInbox { get; set; }

    public IReadOnlyCollection<Subscription> All => _byType.Values;

    public bool HasBatches => _byType.Values.Any(subscription => subscription.IsBatch);

    public int LargestBatch => _byType.Count == 0 ? 1 : _byType.Values.Max(subscription => subscription.MaxBatchSize);

    public void Add(Subscription subscription)
    {
        // One handler per type keeps "applied once" simple: one inbox row, one transaction, one outcome.
        if (!_byType.TryAdd(subscription.TypeName, subscription))
        {
            throw new InvalidOperationException(
                $"'{subscription.TypeName}' already has a handler ({_byType[subscription.TypeName].HandlerType.Name}); a service subscribes to an event type once.");
        }
    }

    public Subscription? Find(string typeName) => _byType.GetValueOrDefault(typeName);
}
