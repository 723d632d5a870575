namespace Platform.Storage.Objects;

/// <summary>A dataset; <see cref="Environment"/> (<c>live</c>/<c>test</c>) is that of the key that created it.</summary>
internal sealed record Dataset(string Id, string OrganizationId, string Region, string Environment, string Name, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>An object's metadata row. <see cref="WrappedDataKey"/> is the data key wrapped by key <see cref="KeyVersion"/>.</summary>
internal sealed record StoredObject(
    string Id, string DatasetId, string OrganizationId, string Name, string DataClass, long Size, string ContentType,
    int KeyVersion, byte[] WrappedDataKey, string BlobKey, DateTimeOffset CreatedAt, string CreatedBy)
{
    /// <summary>Set when read: the organization's keys were destroyed, so the object can never be read again.</summary>
    public bool KeysDestroyed { get; init; }
}

/// <summary>How storing an object ended: stored, the dataset gone meanwhile, or a same-named object the writer may not replace.</summary>
internal enum InsertOutcome
{
    Stored,
    DatasetGone,
    ReplacementRefused,
}

/// <summary>A deleted object's blob key to remove, or <see cref="Refused"/>: its class may not be deleted by this writer.</summary>
internal sealed record ObjectDeletion(string? BlobKey)
{
    public static readonly ObjectDeletion Refused = new((string?)null);
}

/// <summary>An object whose blob is durable, waiting for its row: <see cref="MayReplace"/> judges a same-named object's class.</summary>
internal sealed record NewObjectRow(StoredObject Stored, Platform.Security.Authentication.ChangeContext Change, Func<string, bool> MayReplace);

/// <summary>How one row of a batch ended: its outcome and the blob of an object it replaced, or why it failed.</summary>
internal readonly record struct RowResult(InsertOutcome Outcome, string? ReplacedBlob, Exception? Failure);
