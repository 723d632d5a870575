using System.Buffers.Binary;

namespace Platform.Bench.StorageThroughput;

/// <summary>A non-seekable stream of <c>length</c> pseudo-random bytes made as read: bodies of any size, held nowhere.</summary>
internal sealed class Pattern(long length) : Stream
{
    private ulong state = 0x9E3779B97F4A7C15;
    private long position;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        // Whole 8-byte words only (the last read may be short): simpler, and the bytes need only be unpredictable.
        var count = (int)Math.Min(buffer.Length, length - position);
        var words = count / 8;
        for (var i = 0; i < words; i++)
        {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            BinaryPrimitives.WriteUInt64LittleEndian(buffer.Slice(i * 8, 8), state);
        }

        buffer.Slice(words * 8, count - (words * 8)).Fill(0x5A);
        position += count;
        return count;
    }

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
