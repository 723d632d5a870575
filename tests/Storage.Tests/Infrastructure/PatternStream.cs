using System.Buffers.Binary;

namespace Platform.Storage.Tests.Infrastructure;

/// <summary>
/// A read-only stream of <c>length</c> deterministic pseudo-random bytes (xorshift64 from a seed), generated as read:
/// multi-gigabyte bodies without holding them anywhere. The same seed gives the same bytes, to compare downloads.
/// </summary>
public sealed class PatternStream(long length, ulong seed) : Stream
{
    private ulong state = seed | 1;
    private long position;
    private readonly byte[] pending = new byte[8];
    private int pendingOffset = 8;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        var count = (int)Math.Min(buffer.Length, length - position);
        var written = 0;
        while (written < count && pendingOffset < 8) buffer[written++] = pending[pendingOffset++];
        while (count - written >= 8)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(written, 8), Next());
            written += 8;
        }

        if (written < count)
        {
            BinaryPrimitives.WriteUInt64LittleEndian(pending, Next());
            pendingOffset = 0;
            while (written < count) buffer[written++] = pending[pendingOffset++];
        }

        position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

    /// <summary>All bytes of a pattern, for small ones.</summary>
    public static byte[] Bytes(long length, ulong seed)
    {
        var bytes = new byte[length];
        new PatternStream(length, seed).ReadExactly(bytes);
        return bytes;
    }

    private ulong Next()
    {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        return state;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
