using System.Diagnostics;
using Platform.Storage.Blobs;

namespace Platform.Bench.StorageThroughput;

/// <summary>
/// The disk's own limit, as the peer of storage's small uploads (issue 20 item 1): the same 64 KiB objects written as
/// plain files, no encryption and no database, each durable before the next is counted (the file's fsync, then its
/// directory's, with storage's own Durability, as storage does for a blob), by one writer or several at once.
/// </summary>
internal static class FilePeer
{
    public static double FilesPerSecond(string folder, int size, int writers, TimeSpan duration, out long files)
    {
        Directory.CreateDirectory(folder);
        var bytes = new byte[size];
        new Pattern(size).ReadExactly(bytes);
        long written = 0;
        var clock = Stopwatch.StartNew();
        Parallel.For(0, writers, new ParallelOptions { MaxDegreeOfParallelism = writers }, writer =>
        {
            for (var n = 0; clock.Elapsed < duration; n++)
            {
                var path = Path.Combine(folder, $"w{writer}-{n}.bin");
                using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
                {
                    file.Write(bytes);
                    file.Flush(flushToDisk: true);
                }

                Durability.SyncDirectory(folder);
                Interlocked.Increment(ref written);
            }
        });
        var rate = written / clock.Elapsed.TotalSeconds;
        files = written;
        Directory.Delete(folder, recursive: true);
        return rate;
    }
}
