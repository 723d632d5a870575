using System.Security.Cryptography;
using Platform.Storage.Crypto;
using Platform.Storage.Tests.Infrastructure;

namespace Platform.Storage.Tests.Unit;

/// <summary>The streaming AEAD format on its own: round trips at the edges, and every tampering it must detect.</summary>
public sealed class StreamingAeadTests
{
    private const int Segment = 4096;
    private const string Organization = "org_unit";
    private const string ObjectId = "obj_0123456789abcdef0123456789abcdef";
    private readonly byte[] dataKey = RandomNumberGenerator.GetBytes(32);

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(Segment - 1)]
    [InlineData(Segment)]
    [InlineData(Segment + 1)]
    [InlineData((3 * Segment) + 17)]
    public async Task Round_trips_at_segment_edges(int length)
    {
        var plaintext = PatternStream.Bytes(length, 7);
        var ciphertext = await EncryptAsync(plaintext);

        Assert.Equal(new StreamLayout(length, Segment).CiphertextLength, ciphertext.Length);
        Assert.Equal(plaintext, await DecryptAsync(ciphertext, length));
    }

    [Fact]
    public async Task Range_reads_return_exactly_the_requested_bytes()
    {
        var plaintext = PatternStream.Bytes((5 * Segment) + 100, 3);
        var ciphertext = await EncryptAsync(plaintext);
        foreach (var (first, last) in new[] { (0L, 0L), (Segment - 1L, Segment), (Segment * 2L + 5, Segment * 4L + 7), (plaintext.Length - 1L, plaintext.Length - 1L) })
        {
            Assert.Equal(plaintext[(int)first..((int)last + 1)], await DecryptAsync(ciphertext, plaintext.Length, first, last));
        }
    }

    [Fact]
    public async Task Ciphertext_hides_the_plaintext_and_differs_every_time()
    {
        var plaintext = new byte[3 * Segment];
        var first = await EncryptAsync(plaintext);
        var second = await EncryptAsync(plaintext);

        Assert.NotEqual(first, second);
        Assert.Equal(-1, first.AsSpan().IndexOf(new byte[64]));
    }

    [Theory]
    [InlineData(StreamHeader.Size + 10)]
    [InlineData(StreamHeader.Size + Segment + 16 + 100)]
    [InlineData(StreamHeader.Size + Segment + 15)]
    public async Task A_flipped_bit_anywhere_in_a_segment_is_detected(int offset)
    {
        var length = (3 * Segment) + 5;
        var ciphertext = await EncryptAsync(PatternStream.Bytes(length, 1));
        ciphertext[offset] ^= 0x01;

        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(ciphertext, length));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(5)]
    [InlineData(10)]
    [InlineData(StreamHeader.Size - 8)]
    [InlineData(StreamHeader.Size - 1)]
    public async Task An_edited_header_is_detected(int offset)
    {
        var length = Segment + 5;
        var ciphertext = await EncryptAsync(PatternStream.Bytes(length, 1));
        ciphertext[offset] ^= 0x01;

        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(ciphertext, length));
    }

    [Fact]
    public async Task Swapped_segments_are_detected()
    {
        var length = 3 * Segment;
        var ciphertext = await EncryptAsync(PatternStream.Bytes(length, 1));
        var sealedSegment = Segment + 16;
        var first = ciphertext.AsSpan(StreamHeader.Size, sealedSegment).ToArray();
        ciphertext.AsSpan(StreamHeader.Size + sealedSegment, sealedSegment).CopyTo(ciphertext.AsSpan(StreamHeader.Size));
        first.CopyTo(ciphertext.AsSpan(StreamHeader.Size + sealedSegment));

        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(ciphertext, length));
    }

    [Fact]
    public async Task Truncation_at_a_segment_boundary_is_detected_even_when_the_length_is_believed()
    {
        var length = 3 * Segment;
        var ciphertext = await EncryptAsync(PatternStream.Bytes(length, 1));
        var truncated = ciphertext[..(int)new StreamLayout(2 * Segment, Segment).CiphertextLength];

        // Metadata that says 3 segments: the stored length gives it away.
        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(truncated, length));
        // Metadata altered to match: the new last segment was not sealed as the last one.
        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(truncated, 2 * Segment));
    }

    [Fact]
    public async Task Another_objects_binding_or_key_cannot_decrypt()
    {
        var length = Segment;
        var ciphertext = await EncryptAsync(PatternStream.Bytes(length, 1));

        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(ciphertext, length, organization: "org_other"));
        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(ciphertext, length, objectId: "obj_" + new string('f', 32)));
        await Assert.ThrowsAsync<ObjectIntegrityException>(() => DecryptAsync(ciphertext, length, key: RandomNumberGenerator.GetBytes(32)));
    }

    [Fact]
    public async Task A_body_shorter_or_longer_than_declared_is_refused()
    {
        await Assert.ThrowsAsync<PlaintextLengthMismatchException>(() =>
            StreamEncryptor.EncryptAsync(new MemoryStream(new byte[10]), 11, new MemoryStream(), dataKey, Organization, ObjectId, Segment, default));
        await Assert.ThrowsAsync<PlaintextLengthMismatchException>(() =>
            StreamEncryptor.EncryptAsync(new MemoryStream(new byte[10]), 9, new MemoryStream(), dataKey, Organization, ObjectId, Segment, default));
    }

    private async Task<byte[]> EncryptAsync(byte[] plaintext)
    {
        var output = new MemoryStream();
        await StreamEncryptor.EncryptAsync(new MemoryStream(plaintext), plaintext.Length, output, dataKey, Organization, ObjectId, Segment, default);
        return output.ToArray();
    }

    private async Task<byte[]> DecryptAsync(
        byte[] ciphertext, long length, long first = 0, long? last = null, string organization = Organization, string objectId = ObjectId, byte[]? key = null)
    {
        using var decryptor = await ObjectDecryptor.OpenAsync(new MemoryStream(ciphertext), length, key ?? dataKey, organization, objectId, default);
        var output = new MemoryStream();
        if (length == 0)
        {
            await decryptor.ReadSegmentAsync(0, default);
            return [];
        }

        await decryptor.CopyRangeAsync(first, last ?? length - 1, (bytes, _) => { output.Write(bytes.Span); return ValueTask.CompletedTask; }, default);
        return output.ToArray();
    }
}
