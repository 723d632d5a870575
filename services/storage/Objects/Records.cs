namespace Platform.Storage.Objects;

internal sealed record Dataset(string Id, string OrganizationId, string Region, string Name, DateTimeOffset CreatedAt, string CreatedBy);

/// <summary>An object's metadata row. <see cref="WrappedDataKey"/> is the data key wrapped by key <see cref="KeyVersion"/>.</summary>
internal sealed record StoredObject(
    string Id, string DatasetId, string OrganizationId, string Name, string DataClass, long Size, string ContentType,
    int KeyVersion, byte[] WrappedDataKey, string BlobKey, DateTimeOffset CreatedAt, string CreatedBy)
{
    /// <summary>Set when read: the organization's keys were destroyed, so the object can never be read again.</summary>
    public bool KeysDestroyed { get; init; }
}
