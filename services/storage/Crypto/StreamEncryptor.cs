using System.Buffers;

namespace Platform.Storage.Crypto;

/// <summary>The plaintext stream ended before, or went on after, the length it was declared to have.</summary>
internal sealed class PlaintextLengthMismatchException(string message) : Exception(message);

/// <summary>
/// Encrypts exactly <c>length</c> bytes from a stream into the streaming format, a segment at a time, into batches of
/// about <see cref="WriteBatchBytes"/>: memory stays at a segment and two batches whatever the size, and the write of
/// one batch overlaps the reading and encrypting of the next. A batch rather than a segment per write: a 64 KiB write is
/// a system call and a thread-pool hop for an asynchronous file, 16,384 of them per GiB.
/// </summary>
internal static class StreamEncryptor
{
    public const int WriteBatchBytes = 1 << 20;

    public static async Task EncryptAsync(
        Stream source, long length, Stream destination, ReadOnlyMemory<byte> dataKey, string organizationId, string objectId, int segmentSize,
        CancellationToken cancellationToken)
    {
        var header = StreamHeader.Create(segmentSize);
        var layout = new StreamLayout(length, segmentSize);
        if (!layout.FitsCounter) throw new PlaintextLengthMismatchException("The object needs more segments than a 32-bit counter numbers.");

        using var cipher = new SegmentCipher(dataKey.Span, header, organizationId, objectId);
        var sealedSegment = segmentSize + Aead.TagBytes;
        var segmentsPerBatch = (int)Math.Clamp(layout.SegmentCount, 1, Math.Max(1, WriteBatchBytes / sealedSegment));
        var plaintext = ArrayPool<byte>.Shared.Rent(segmentSize);
        byte[][] batches = [ArrayPool<byte>.Shared.Rent(segmentsPerBatch * sealedSegment), ArrayPool<byte>.Shared.Rent(segmentsPerBatch * sealedSegment)];
        var batch = 0;
        var filled = 0;
        var pendingWrite = Task.CompletedTask;
        try
        {
            await destination.WriteAsync(header.Bytes, cancellationToken);
            for (long index = 0; index < layout.SegmentCount; index++)
            {
                var want = layout.SegmentPlaintextLength(index);
                var read = want == 0 ? 0 : await source.ReadAtLeastAsync(plaintext.AsMemory(0, want), want, throwOnEndOfStream: false, cancellationToken);
                if (read < want) throw new PlaintextLengthMismatchException("The body ended before its declared length.");

                cipher.Encrypt(index, layout.IsLast(index), plaintext.AsSpan(0, want), batches[batch].AsSpan(filled, want + Aead.TagBytes));
                filled += want + Aead.TagBytes;
                if (filled + sealedSegment <= batches[batch].Length && !layout.IsLast(index)) continue;

                await pendingWrite;
                pendingWrite = destination.WriteAsync(batches[batch].AsMemory(0, filled), cancellationToken).AsTask();
                batch ^= 1;
                filled = 0;
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
            ArrayPool<byte>.Shared.Return(batches[0]);
            ArrayPool<byte>.Shared.Return(batches[1]);
        }
    }
}
