using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Platform.Storage.Blobs;

/// <summary>
/// The Linux calls .NET does not expose: start writeback of a file range, <c>sync_file_range(2)</c>,
/// and fsync of a directory, so that a rename is on disk before the metadata row that points at it commits.
/// </summary>
internal static class Durability
{
    private const uint Write = 2; // SYNC_FILE_RANGE_WRITE
    private const int ReadOnlyDirectory = 0x10000; // O_RDONLY | O_DIRECTORY (x86-64 and most; arm64 differs)
    private const int ReadOnlyDirectoryArm64 = 0x4000;

    /// <summary>Asks the kernel to start writing the range to disk now, without waiting for it.</summary>
    public static void StartWriteback(SafeFileHandle file, long offset, long length) => _ = sync_file_range(file, offset, length, Write);

    /// <summary>Makes the directory's entries (a rename into it) durable. Throws when the directory cannot be synced.</summary>
    public static void SyncDirectory(string path)
    {
        var flags = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? ReadOnlyDirectoryArm64 : ReadOnlyDirectory;
        var descriptor = open(path, flags);
        if (descriptor < 0) throw new IOException($"Could not open the blob directory to sync it (errno {Marshal.GetLastPInvokeError()}).");
        try
        {
            if (fsync(descriptor) != 0) throw new IOException($"Could not sync the blob directory (errno {Marshal.GetLastPInvokeError()}).");
        }
        finally
        {
            _ = close(descriptor);
        }
    }

    // sync_file_range is advice for throughput: the fsync at commit is what guarantees durability, so its result is unused.
    [DllImport("libc", SetLastError = true)]
    private static extern int sync_file_range(SafeFileHandle fd, long offset, long nbytes, uint flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int open([MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags);

    [DllImport("libc", SetLastError = true)]
    private static extern int fsync(int fd);

    [DllImport("libc")]
    private static extern int close(int fd);
}
