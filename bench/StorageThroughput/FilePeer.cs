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

    /// <summary>
    /// The file path of a large upload alone, as storage writes a blob (1 MiB writes, the kernel asked to write back every
    /// 8 MiB, then fsync): the seconds of the writes and of the final fsync, for the parts of a large upload.
    /// </summary>
    public static (double Write, double FinalFsync) LargeFile(string folder, long bytes)
    {
        Directory.CreateDirectory(folder);
        var buffer = new byte[1 << 20];
        new Pattern(buffer.Length).ReadExactly(buffer);
        var clock = Stopwatch.StartNew();
        double write;
        using (var file = new FileStream(Path.Combine(folder, "large.bin"), FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.None))
        {
            long started = 0;
            for (long done = 0; done < bytes; done += buffer.Length)
            {
                file.Write(buffer);
                if (done + buffer.Length - started < 8L << 20) continue;
                Durability.StartWriteback(file.SafeFileHandle, started, done + buffer.Length - started);
                started = done + buffer.Length;
            }

            write = clock.Elapsed.TotalSeconds;
            file.Flush(flushToDisk: true);
        }

        var fsync = clock.Elapsed.TotalSeconds - write;
        Directory.Delete(folder, recursive: true);
        return (write, fsync);
    }
}
