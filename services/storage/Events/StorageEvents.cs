using Platform.Messaging;

namespace Platform.Storage.Events;

// What happened in storage, for other services (retention, audit). Ids, names and sizes; never key material.

[IntegrationEvent("object.stored")]
public sealed record ObjectStored : IntegrationEvent
{
    public required string DatasetId { get; init; }

    public required string ObjectId { get; init; }

    public required string DataClass { get; init; }

    public required long Size { get; init; }

    public required string Region { get; init; }

    public required string StoredBy { get; init; }

    /// <summary>The object this one replaced under the same name, if any.</summary>
    public string? ReplacedObjectId { get; init; }
}

[IntegrationEvent("object.deleted")]
public sealed record ObjectDeleted : IntegrationEvent
{
    public required string DatasetId { get; init; }

    public required string ObjectId { get; init; }

    public required string DataClass { get; init; }

    public required string Region { get; init; }

    public required string DeletedBy { get; init; }
}

/// <summary>The product marked an image processed (<c>POST …/datasets/{id}/processed</c>): under zero retention, retention asks for its deletion at once.</summary>
[IntegrationEvent("object.processed")]
public sealed record ObjectProcessed : IntegrationEvent
{
    public required string DatasetId { get; init; }

    public required string ObjectId { get; init; }

    public required string Region { get; init; }

    public required string ProcessedBy { get; init; }
}

[IntegrationEvent("dataset.deleted")]
public sealed record DatasetDeleted : IntegrationEvent
{
    public required string DatasetId { get; init; }

    public required int ObjectsDeleted { get; init; }

    public required string Region { get; init; }

    public required string DeletedBy { get; init; }
}

[IntegrationEvent("encryption-key.rotated")]
public sealed record EncryptionKeyRotated : IntegrationEvent
{
    public required int Version { get; init; }

    /// <summary><c>scheduled</c>, <c>on-demand</c> or <c>usage-limit</c>.</summary>
    public required string Reason { get; init; }
}

/// <summary>The deletion receipt of a crypto-shred (SPEC ENC-SHRED): what was destroyed, when, and by whom.</summary>
[IntegrationEvent("encryption-key.destroyed")]
public sealed record EncryptionKeysDestroyed : IntegrationEvent
{
    public required IReadOnlyList<int> VersionsDestroyed { get; init; }

    public required int DatasetsUnreadable { get; init; }

    public required int ObjectsUnreadable { get; init; }

    public required long BytesUnreadable { get; init; }

    public required string Region { get; init; }

    public required DateTimeOffset DestroyedAt { get; init; }

    public required string DestroyedBy { get; init; }

    public required string Reason { get; init; }
}
