using Platform.Messaging;

namespace Platform.Retention.Events;

// Storage's events as retention reads them (storage owns the contract, services/storage/Events/StorageEvents.cs; the
// wire names and these fields are what must match): which object of which class was stored when, and what is gone.

[IntegrationEvent("object.stored")]
public sealed record ObjectStored : IntegrationEvent
{
    public required string DatasetId { get; init; }

    public required string ObjectId { get; init; }

    public required string DataClass { get; init; }

    public required string StoredBy { get; init; }

    public string? ReplacedObjectId { get; init; }
}

[IntegrationEvent("object.deleted")]
public sealed record ObjectDeleted : IntegrationEvent
{
    public required string ObjectId { get; init; }
}

[IntegrationEvent("dataset.deleted")]
public sealed record DatasetDeleted : IntegrationEvent
{
    public required string DatasetId { get; init; }
}

/// <summary>The product marked an object processed (storage's <c>POST …/objects/{id}/processed</c>): under zero retention it is due at once.</summary>
[IntegrationEvent("object.processed")]
public sealed record ObjectProcessed : IntegrationEvent
{
    public required string ObjectId { get; init; }
}
