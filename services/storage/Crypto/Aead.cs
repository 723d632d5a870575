using System.Security.Cryptography;

namespace Platform.Storage.Crypto;

/// <summary>
/// AES-256-GCM with a fresh random 96-bit nonce per message (NIST SP 800-38D section 8.2.2) and a 128-bit tag.
/// Sealed form: nonce (12) ‖ ciphertext ‖ tag (16).
/// </summary>
internal static class Aead
{
    public const int KeyBytes = 32;
    public const int NonceBytes = 12;
    public const int TagBytes = 16;
    public const int Overhead = NonceBytes + TagBytes;

    public static byte[] Seal(ReadOnlySpan<byte> key, ReadOnlySpan<byte> plaintext, ReadOnlySpan<byte> associatedData)
    {
        var sealedBytes = new byte[Overhead + plaintext.Length];
        var nonce = sealedBytes.AsSpan(0, NonceBytes);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, TagBytes);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(NonceBytes, plaintext.Length), sealedBytes.AsSpan(NonceBytes + plaintext.Length), associatedData);
        return sealedBytes;
    }

    /// <summary>The plaintext, or null when the bytes were not sealed with this key and associated data.</summary>
    public static byte[]? Open(ReadOnlySpan<byte> key, ReadOnlySpan<byte> sealedBytes, ReadOnlySpan<byte> associatedData)
    {
        if (sealedBytes.Length < Overhead) return null;
        var length = sealedBytes.Length - Overhead;
        var plaintext = new byte[length];
        using var aes = new AesGcm(key, TagBytes);
        try
        {
            aes.Decrypt(sealedBytes[..NonceBytes], sealedBytes.Slice(NonceBytes, length), sealedBytes[(NonceBytes + length)..], plaintext, associatedData);
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Expected for foreign or altered ciphertexts: the caller answers "not ours", nothing more.
            return null;
        }
    }
}
