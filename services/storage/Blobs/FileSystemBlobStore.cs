using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Platform.Storage.Model;

namespace Platform.Storage.Blobs;

/// <summary>
/// Blobs as files under <c>&lt;BlobRoot&gt;/&lt;Region&gt;/</c>. A blob is written to <c>.incoming/</c>, flushed to disk,
/// then renamed into place, so a reader never sees a partial object. Keys are made by the service from validated
/// ids only (<see cref="BlobKeys"/>); a key that is anything else is refused rather than resolved.
/// </summary>
internal sealed class FileSystemBlobStore : IBlobStore
{
    private readonly string root;
    private readonly string incoming;

    // The .incoming/ files this process has open for writing.
    private readonly ConcurrentDictionary<string, byte> writing = new(StringComparer.Ordinal);

    public FileSystemBlobStore(IOptions<StorageOptions> options)
    {
        root = Path.Combine(options.Value.BlobRoot, options.Value.Region);
        incoming = Path.Combine(root, ".incoming");
        Directory.CreateDirectory(incoming);
    }

    public string Root => root;

    public string Incoming => incoming;

    /// <summary>Whether this process is writing that <c>.incoming/</c> file right now.</summary>
    public bool IsBeingWritten(string temporaryPath) => writing.ContainsKey(temporaryPath);

    public Task<IBlobWriter> CreateAsync(string key, CancellationToken cancellationToken)
    {
        var final = PathOf(key);
        Directory.CreateDirectory(Path.GetDirectoryName(final)!);
        var temporary = Path.Combine(incoming, Guid.NewGuid().ToString("N"));
        var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            Share = FileShare.None,
            BufferSize = 0,
            Options = FileOptions.Asynchronous,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        });
        writing[temporary] = 0;
        return Task.FromResult<IBlobWriter>(new Writer(stream, key, temporary, final, new Release(writing, temporary)));
    }

    public Task<Stream?> OpenReadAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return Task.FromResult<Stream?>(null);
        try
        {
            return Task.FromResult<Stream?>(new FileStream(path, new FileStreamOptions
            {
                Mode = FileMode.Open, Access = FileAccess.Read, Share = FileShare.Read | FileShare.Delete, BufferSize = 0, Options = FileOptions.Asynchronous,
            }));
        }
        catch (FileNotFoundException)
        {
            // Deleted between the check and the open: the same as not there.
            return Task.FromResult<Stream?>(null);
        }
    }

    public Task<bool> DeleteAsync(string key, CancellationToken cancellationToken)
    {
        var path = PathOf(key);
        if (!File.Exists(path)) return Task.FromResult(false);
        File.Delete(path);
        return Task.FromResult(true);
    }

    /// <summary>
    /// Each blob renamed into place, then every blob's bytes fsynced at once, then each of their directories once:
    /// only after that may the metadata rows that point at them commit, so a crash can leave a blob without a row
    /// (swept) but never a row without its blob. The fsyncs are issued concurrently because a journaling filesystem
    /// (ext4, XFS) takes the fsyncs that arrive together into one journal commit and one cache flush: a batch costs
    /// about one flush, not one per blob. The rename comes first because the journal commits it with the same flush,
    /// leaving the directory's fsync, which POSIX still requires, little to do; until a row commits no reader looks for
    /// its blob, and the sweeper skips it as an upload in flight.
    /// </summary>
    public async Task<Exception?[]> CommitAsync(IReadOnlyList<IBlobWriter> writers, CancellationToken cancellationToken)
    {
        var batch = writers.Select(w => w as Writer ?? throw new ArgumentException("Not a writer of this store.", nameof(writers))).ToArray();
        var failures = new Exception?[batch.Length];
        for (var i = 0; i < batch.Length; i++)
        {
            try
            {
                await batch[i].MoveIntoPlaceAsync(cancellationToken);
            }
            catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or OperationCanceledException)
            {
                failures[i] = exception;
            }
        }

        var moved = Enumerable.Range(0, batch.Length).Where(i => failures[i] is null).ToArray();
        await Parallel.ForEachAsync(moved, new ParallelOptions { MaxDegreeOfParallelism = Math.Clamp(moved.Length, 1, MaxConcurrentSyncs) }, (i, _) =>
        {
            try
            {
                batch[i].SyncData();
            }
            catch (IOException exception)
            {
                failures[i] = exception;
            }

            return ValueTask.CompletedTask;
        });

        foreach (var directory in moved.Where(i => failures[i] is null).GroupBy(i => batch[i].Directory, StringComparer.Ordinal))
        {
            try
            {
                Durability.SyncDirectory(directory.Key);
                foreach (var i in directory) batch[i].Committed();
            }
            catch (IOException exception)
            {
                foreach (var i in directory) failures[i] = exception;
            }
        }

        return failures;
    }

    // Threads blocked in fsync at once: enough for the journal to gather a batch, few enough not to starve the pool.
    private const int MaxConcurrentSyncs = 16;

    private string PathOf(string key)
    {
        if (!BlobKeys.IsWellFormed(key)) throw new ArgumentException("Not a blob key this service makes.", nameof(key));
        var path = Path.GetFullPath(Path.Combine(root, key));
        return path.StartsWith(root + Path.DirectorySeparatorChar, StringComparison.Ordinal)
            ? path
            : throw new ArgumentException("The blob key leaves the region's root.", nameof(key));
    }

    private sealed class Release(ConcurrentDictionary<string, byte> writing, string key) : IDisposable
    {
        public void Dispose() => writing.TryRemove(key, out _);
    }

    private sealed class Writer(FileStream stream, string key, string temporary, string final, IDisposable writing) : IBlobWriter
    {
        private bool moved;
        private bool committed;

        private readonly WritebackStream writeback = new(stream);

        public string Key => key;

        public Stream Stream => writeback;

        public string Directory => Path.GetDirectoryName(final)!;

        public async Task MoveIntoPlaceAsync(CancellationToken cancellationToken)
        {
            await stream.FlushAsync(cancellationToken);
            File.Move(temporary, final, overwrite: false);
            moved = true;
        }

        public void SyncData()
        {
            stream.Flush(flushToDisk: true);
            stream.Dispose();
        }

        public void Committed() => committed = true;

        public async ValueTask DisposeAsync()
        {
            await stream.DisposeAsync();
            if (!committed) File.Delete(moved ? final : temporary);
            writing.Dispose();
        }
    }
}

/// <summary>Blob keys: <c>&lt;organization&gt;/&lt;dataset&gt;/&lt;object id&gt;</c>, all validated ids.</summary>
internal static class BlobKeys
{
    public static string For(string organizationId, string datasetId, string objectId) => $"{organizationId}/{datasetId}/{objectId}";

    public static bool IsWellFormed(string key) =>
        key.Split('/') is [var organization, var dataset, var obj]
        && OrganizationIds.IsWellFormed(organization) && DatasetIds.IsWellFormed(dataset) && ObjectIds.IsWellFormed(obj);
}
