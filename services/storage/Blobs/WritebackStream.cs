using Microsoft.Win32.SafeHandles;

namespace Platform.Storage.Blobs;

/// <summary>
/// A write-only file stream that has the disk write while the upload is still arriving: after every
/// <see cref="Chunk"/> it asks the kernel to start writing that chunk back (as RocksDB's <c>bytes_per_sync</c>),
/// without waiting for it. Without it Linux keeps a whole object in dirty pages (background writeback starts at 10% of
/// memory or after 30 s) and the fsync at commit writes all of it while the client waits; with it the fsync finds
/// little left. It does not wait for earlier chunks: that would stall the request's read and encrypt.
/// </summary>
internal sealed class WritebackStream(FileStream file) : Stream
{
    public const long Chunk = 8L << 20;

    private readonly SafeFileHandle handle = file.SafeFileHandle;
    private long written;
    private long started;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => written;

    public override long Position { get => written; set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        await file.WriteAsync(buffer, cancellationToken);
        Written(buffer.Length);
    }

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        file.Write(buffer);
        Written(buffer.Length);
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override Task FlushAsync(CancellationToken cancellationToken) => file.FlushAsync(cancellationToken);

    public override void Flush() => file.Flush();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    private void Written(int count)
    {
        written += count;
        if (written - started < Chunk) return;

        Durability.StartWriteback(handle, started, written - started);
        started = written;
    }
}
