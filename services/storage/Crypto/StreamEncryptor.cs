using System.Buffers;

namespace Platform.Storage.Crypto;

/// <summary>The plaintext stream ended before, or went on after, the length it was declared to have.</summary>
internal sealed class PlaintextLengthMismatchException(string message) : Exception(message);

/// <summary>
/// Encrypts exactly <c>length</c> bytes from a stream into the streaming format, a segment at a time: memory stays at
/// two segment buffers whatever the size, and the write of one segment overlaps the read of the next.
/// </summary>
internal static class StreamEncryptor
{
    public static async Task EncryptAsync(
        Stream source, long length, Stream destination, ReadOnlyMemory<byte> dataKey, string organizationId, string objectId, int segmentSize,
        CancellationToken cancellationToken)
    {
        var header = StreamHeader.Create(segmentSize);
        var layout = new StreamLayout(length, segmentSize);
        if (!layout.FitsCounter) throw new PlaintextLengthMismatchException("The object needs more segments than a 32-bit counter numbers.");

        using var cipher = new SegmentCipher(dataKey.Span, header, organizationId, objectId);
        var plaintext = ArrayPool<byte>.Shared.Rent(segmentSize);
        byte[][] sealedBuffers = [ArrayPool<byte>.Shared.Rent(segmentSize + Aead.TagBytes), ArrayPool<byte>.Shared.Rent(segmentSize + Aead.TagBytes)];
        var pendingWrite = Task.CompletedTask;
        try
        {
            await destination.WriteAsync(header.Bytes, cancellationToken);
            for (long index = 0; index < layout.SegmentCount; index++)
            {
                var want = layout.SegmentPlaintextLength(index);
                var read = want == 0 ? 0 : await source.ReadAtLeastAsync(plaintext.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken);
                if (read < want) throw new PlaintextLengthMismatchException("The body ended before its declared length.");

                var output = sealedBuffers[index % 2];
                cipher.Encrypt(index, layout.IsLast(index), plaintext.AsSpan(0, want), output);
                await pendingWrite;
                pendingWrite = destination.WriteAsync(output.AsMemory(0, want + Aead.TagBytes), cancellationToken).AsTask();
            }

            await pendingWrite;
            if (await source.ReadAsync(plaintext.AsMemory(0, 1), cancellationToken) != 0)
            {
                throw new PlaintextLengthMismatchException("The body is longer than its declared length.");
            }
        }
        finally
        {
            // A write still in flight (after a failed read) must finish before its buffer goes back to the pool; its own
            // failure, if any, is the same broken destination the caller is already hearing about.
            await pendingWrite.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            ArrayPool<byte>.Shared.Return(plaintext, clearArray: true);
            ArrayPool<byte>.Shared.Return(sealedBuffers[0]);
            ArrayPool<byte>.Shared.Return(sealedBuffers[1]);
        }
    }
}
