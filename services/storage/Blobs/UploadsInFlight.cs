using System.Collections.Concurrent;

namespace Platform.Storage.Blobs;

/// <summary>
/// The blob keys this process is uploading, from the data key's creation to the metadata row's commit (or the
/// upload's failure). Between the blob's rename and the row's commit a blob has no row and looks orphaned; the sweeper
/// skips these keys however long that takes. Other replicas are covered by <see cref="StorageOptions.OrphanGracePeriod"/>.
/// </summary>
internal sealed class UploadsInFlight
{
    private readonly ConcurrentDictionary<string, int> keys = new(StringComparer.Ordinal);

    public IDisposable Begin(string blobKey)
    {
        keys.AddOrUpdate(blobKey, 1, (_, count) => count + 1);
        return new Handle(this, blobKey);
    }

    public bool Contains(string blobKey) => keys.ContainsKey(blobKey);

    private void End(string blobKey)
    {
        while (keys.TryGetValue(blobKey, out var count))
        {
            if (count <= 1 ? keys.TryRemove(KeyValuePair.Create(blobKey, count)) : keys.TryUpdate(blobKey, count - 1, count)) return;
        }
    }

    private sealed class Handle(UploadsInFlight owner, string blobKey) : IDisposable
    {
        private int disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref disposed, 1) == 0) owner.End(blobKey);
        }
    }
}
