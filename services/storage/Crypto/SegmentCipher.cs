using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Platform.Storage.Crypto;

/// <summary>
/// Encrypts and decrypts the segments of one object. The segment key is HKDF-SHA256 of the object's data key, salted
/// with the header's salt, bound to organization, object and the whole header. Segment i's nonce is
/// <c>prefix (7) ‖ i (u32 BE) ‖ last (1)</c>, so a reordered, dropped or truncated segment fails its tag
/// (Tink streaming AEAD; Hoang, Reyhanitabar, Rogaway, Vizár, "Online Authenticated-Encryption and its Nonce-Reuse
/// Misuse-Resistance", STREAM construction).
/// </summary>
internal sealed class SegmentCipher : IDisposable
{
    private readonly AesGcm aes;
    private readonly byte[] nonce = new byte[Aead.NonceBytes];

    public SegmentCipher(ReadOnlySpan<byte> dataKey, StreamHeader header, string organizationId, string objectId)
    {
        Span<byte> segmentKey = stackalloc byte[Aead.KeyBytes];
        var info = AssociatedData.For(Purposes.BlobSegments, organizationId, objectId, 0);
        var bound = new byte[info.Length + StreamHeader.Size];
        info.CopyTo(bound, 0);
        header.Bytes.CopyTo(bound, info.Length);
        HKDF.DeriveKey(HashAlgorithmName.SHA256, dataKey, segmentKey, header.Salt, bound);
        aes = new AesGcm(segmentKey, Aead.TagBytes);
        CryptographicOperations.ZeroMemory(segmentKey);
        header.NoncePrefix.CopyTo(nonce);
    }

    /// <summary>Writes ciphertext ‖ tag (plaintext length + 16 bytes) to <paramref name="output"/>.</summary>
    public void Encrypt(long index, bool last, ReadOnlySpan<byte> plaintext, Span<byte> output)
    {
        SetNonce(index, last);
        aes.Encrypt(nonce, plaintext, output[..plaintext.Length], output.Slice(plaintext.Length, Aead.TagBytes));
    }

    /// <summary>False when the segment is not segment <paramref name="index"/> of this object, intact.</summary>
    public bool TryDecrypt(long index, bool last, ReadOnlySpan<byte> input, Span<byte> plaintext)
    {
        if (input.Length < Aead.TagBytes) return false;
        var length = input.Length - Aead.TagBytes;
        SetNonce(index, last);
        try
        {
            aes.Decrypt(nonce, input[..length], input[length..], plaintext[..length]);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // AesGcm has already zeroed the output: nothing unverified can leak out.
            return false;
        }
    }

    private void SetNonce(long index, bool last)
    {
        BinaryPrimitives.WriteUInt32BigEndian(nonce.AsSpan(StreamHeader.PrefixBytes, 4), checked((uint)index));
        nonce[^1] = last ? (byte)1 : (byte)0;
    }

    public void Dispose() => aes.Dispose();
}
