namespace Platform.Storage.Blobs;

/// <summary>
/// Where encrypted object bytes live, in this instance's region. The filesystem implementation is
/// <see cref="FileSystemBlobStore"/>; an S3-compatible store fits the same shape (multipart upload committed at the
/// end; ranged GETs behind a seekable read stream).
/// </summary>
internal interface IBlobStore
{
    /// <summary>A new blob under <paramref name="key"/>, invisible until <see cref="IBlobWriter.CommitAsync"/>.</summary>
    Task<IBlobWriter> CreateAsync(string key, CancellationToken cancellationToken);

    /// <summary>A seekable stream over the blob, or null when there is none.</summary>
    Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken);

    /// <summary>Removes the blob; false when there was none.</summary>
    Task<bool> DeleteAsync(string key, CancellationToken cancellationToken);
}

/// <summary>A blob being written. Disposed without a commit, it leaves nothing behind.</summary>
internal interface IBlobWriter : IAsyncDisposable
{
    Stream Stream { get; }

    Task CommitAsync(CancellationToken cancellationToken);
}
