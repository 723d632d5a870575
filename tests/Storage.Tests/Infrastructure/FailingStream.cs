namespace Platform.Storage.Tests.Infrastructure;

/// <summary>A body that breaks after <c>failAfter</c> bytes, as a client that crashes mid-upload.</summary>
public sealed class FailingStream(long length, long failAfter) : Stream
{
    private readonly PatternStream inner = new(length, 5);

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => length;

    public override long Position { get => inner.Position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer) =>
        inner.Position >= failAfter ? throw new IOException("The client crashed.") : inner.Read(buffer[..(int)Math.Min(buffer.Length, failAfter - inner.Position)]);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
