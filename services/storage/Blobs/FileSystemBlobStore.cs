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
        return Task.FromResult<IBlobWriter>(new Writer(stream, temporary, final, new Release(writing, temporary)));
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

    private sealed class Writer(FileStream stream, string temporary, string final, IDisposable writing) : IBlobWriter
    {
        private bool moved;
        private bool committed;

        private readonly WritebackStream writeback = new(stream);

        public Stream Stream => writeback;

        /// <summary>
        /// Renamed into place, then the bytes fsynced, then the directory: only after that may the metadata row that
        /// points at the blob commit, so a crash can leave a blob without a row (swept) but never a row without its
        /// blob. The rename comes before the file's fsync because a journaling filesystem (ext4, XFS) commits it in the
        /// same journal flush, leaving the directory's fsync, which POSIX still requires, little to do; until the row
        /// commits, no reader looks for the blob, and the sweeper skips it as an upload in flight.
        /// </summary>
        public async Task CommitAsync(CancellationToken cancellationToken)
        {
            await stream.FlushAsync(cancellationToken);
            File.Move(temporary, final, overwrite: false);
            moved = true;
            stream.Flush(flushToDisk: true);
            await stream.DisposeAsync();
            Durability.SyncDirectory(Path.GetDirectoryName(final)!);
            committed = true;
        }

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
