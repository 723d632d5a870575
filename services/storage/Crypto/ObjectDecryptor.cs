using System.Buffers;

namespace Platform.Storage.Crypto;

/// <summary>An object's bytes failed authentication: tampered, truncated, reordered, or not this object's at all.</summary>
internal sealed class ObjectIntegrityException(string message) : Exception(message);

/// <summary>
/// Reads an encrypted object segment by segment from a seekable stream, verifying each segment's tag before a single
/// byte of it is handed out; a range read starts at the first segment it needs and decrypts no other.
/// </summary>
internal sealed class ObjectDecryptor : IDisposable
{
    private readonly Stream blob;
    private readonly StreamLayout layout;
    private readonly SegmentCipher cipher;
    private readonly byte[] sealedBuffer;
    private readonly byte[] plaintext;
    private long position = -1;

    private ObjectDecryptor(Stream blob, StreamLayout layout, SegmentCipher cipher)
    {
        this.blob = blob;
        this.layout = layout;
        this.cipher = cipher;
        sealedBuffer = ArrayPool<byte>.Shared.Rent(layout.SegmentSize + Aead.TagBytes);
        plaintext = ArrayPool<byte>.Shared.Rent(layout.SegmentSize);
    }

    public StreamLayout Layout => layout;

    /// <summary>Checks the header and the stored length against what the metadata says the object is.</summary>
    public static async Task<ObjectDecryptor> OpenAsync(
        Stream blob, long plaintextLength, ReadOnlyMemory<byte> dataKey, string organizationId, string objectId, CancellationToken cancellationToken)
    {
        var headerBytes = new byte[StreamHeader.Size];
        blob.Position = 0;
        if (await blob.ReadAtLeastAsync(headerBytes, StreamHeader.Size, throwOnEndOfStream: false, cancellationToken) != StreamHeader.Size
            || StreamHeader.Parse(headerBytes) is not { } header)
        {
            throw new ObjectIntegrityException("The object's header is missing or not in a known format.");
        }

        var layout = new StreamLayout(plaintextLength, header.SegmentSize);
        if (blob.Length != layout.CiphertextLength) throw new ObjectIntegrityException("The stored object does not have the length its metadata implies (truncated or extended).");
        return new ObjectDecryptor(blob, layout, new SegmentCipher(dataKey.Span, header, organizationId, objectId));
    }

    /// <summary>The verified plaintext of segment <paramref name="index"/>; valid until the next call.</summary>
    public async ValueTask<ReadOnlyMemory<byte>> ReadSegmentAsync(long index, CancellationToken cancellationToken)
    {
        var length = layout.SegmentPlaintextLength(index);
        if (position != index) blob.Position = layout.SegmentOffset(index);
        var sealedLength = length + Aead.TagBytes;
        if (await blob.ReadAtLeastAsync(sealedBuffer.AsMemory(0, sealedLength), sealedLength, throwOnEndOfStream: false, cancellationToken) != sealedLength)
        {
            throw new ObjectIntegrityException("The stored object ended early.");
        }

        position = index + 1;
        if (!cipher.TryDecrypt(index, layout.IsLast(index), sealedBuffer.AsSpan(0, sealedLength), plaintext))
        {
            throw new ObjectIntegrityException($"Segment {index} failed authentication.");
        }

        return plaintext.AsMemory(0, length);
    }

    /// <summary>Writes plaintext bytes [first, last] to <paramref name="sink"/>, a verified segment at a time.</summary>
    public async Task CopyRangeAsync(long first, long last, Func<ReadOnlyMemory<byte>, CancellationToken, ValueTask> sink, CancellationToken cancellationToken)
    {
        var size = layout.SegmentSize;
        for (var index = first / size; index <= last / size; index++)
        {
            var segment = await ReadSegmentAsync(index, cancellationToken);
            var segmentStart = index * size;
            var from = (int)Math.Max(0, first - segmentStart);
            var to = (int)Math.Min(segment.Length - 1, last - segmentStart);
            await sink(segment.Slice(from, to - from + 1), cancellationToken);
        }
    }

    public void Dispose()
    {
        cipher.Dispose();
        ArrayPool<byte>.Shared.Return(sealedBuffer);
        ArrayPool<byte>.Shared.Return(plaintext, clearArray: true);
    }
}
