using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Platform.Storage.Crypto;

/// <summary>
/// The 48-byte header of an encrypted object, after Tink's streaming AEAD (AES-GCM-HKDF): magic and format version,
/// segment size, a per-object salt for the segment key and a 7-byte nonce prefix.
/// <code>"PSA" 0x01 | segment size (u32 BE) | salt (32) | nonce prefix (7) | 0x00</code>
/// The whole header goes into the segment key derivation, so editing any byte of it makes every segment fail.
/// </summary>
internal sealed class StreamHeader
{
    public const int Size = 48;
    public const int SaltBytes = 32;
    public const int PrefixBytes = 7;
    private static ReadOnlySpan<byte> Magic => "PSA\u0001"u8;

    private StreamHeader(byte[] bytes) => Bytes = bytes;

    public byte[] Bytes { get; }

    public int SegmentSize => BinaryPrimitives.ReadInt32BigEndian(Bytes.AsSpan(4, 4));

    public ReadOnlySpan<byte> Salt => Bytes.AsSpan(8, SaltBytes);

    public ReadOnlySpan<byte> NoncePrefix => Bytes.AsSpan(8 + SaltBytes, PrefixBytes);

    public static StreamHeader Create(int segmentSize)
    {
        var bytes = new byte[Size];
        Magic.CopyTo(bytes);
        BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(4, 4), segmentSize);
        RandomNumberGenerator.Fill(bytes.AsSpan(8, SaltBytes + PrefixBytes));
        return new StreamHeader(bytes);
    }

    /// <summary>The header, or null when the bytes are not one this version writes.</summary>
    public static StreamHeader? Parse(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length != Size || !bytes[..4].SequenceEqual(Magic) || bytes[Size - 1] != 0) return null;
        var header = new StreamHeader(bytes.ToArray());
        return header.SegmentSize is >= 4096 and <= 4 * 1024 * 1024 ? header : null;
    }
}
