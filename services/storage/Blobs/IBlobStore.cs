namespace Platform.Storage.Blobs;

/// <summary>
/// Where encrypted object bytes live, in this instance's region. The filesystem implementation is
/// <see cref="FileSystemBlobStore"/>; an S3-compatible store fits the same shape (multipart upload committed at the
/// end; ranged GETs behind a seekable read stream).
/// </summary>
internal interface IBlobStore
{
    /// <summary>A new blob under <paramref name="key"/>, invisible until committed by <see cref="CommitAsync"/>.</summary>
    Task<IBlobWriter> CreateAsync(string key, CancellationToken cancellationToken);

    /// <summary>
    /// Makes fully written blobs durable under their keys, many at once so that they share the disk's flushes (group
    /// commit). Returns, in order, null for each blob now durable, or why that one is not (it is then left for its
    /// writer's disposal to remove); one blob's failure does not fail the others.
    /// </summary>
    Task<Exception?[]> CommitAsync(IReadOnlyList<IBlobWriter> writers, CancellationToken cancellationToken);

    /// <summary>A seekable stream over the blob, or null when there is none.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the blob; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A blob being written. Disposed without a commit (<see cref="IBlobStore.CommitAsync"/>), it leaves nothing behind.</summary>
internal interface IBlobWriter : IAsyncDisposable
{
    string Key { get; }

    Stream Stream { get; }
}
