using System.Security.Cryptography;
using Microsoft.Extensions.Options;

namespace Platform.Identity.Mfa;

/// <summary>
/// AES-256-GCM under a key derived from <c>Identity:DataKey</c> for secrets identity must read back (TOTP secrets, signing keys).
/// Layout: version byte, 12-byte nonce, ciphertext, 16-byte tag. The associated data binds a ciphertext to its row
/// (e.g. <c>totp:usr_…</c>), so a ciphertext copied to another row does not decrypt.
/// </summary>
internal sealed class DataProtector(IOptions<IdentityOptions> options)
{
    private const byte Version = 1;
    // The configured secret is key material, not the key: HKDF gives each use its own key (RFC 5869).
    private readonly byte[] key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Convert.FromBase64String(options.Value.DataKey), 32, salt: [], info: "platform-identity/data"u8.ToArray());

    public byte[] Protect(ReadOnlySpan<byte> plaintext, string context)
    {
        var output = new byte[1 + 12 + plaintext.Length + 16];
        output[0] = Version;
        var nonce = output.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, plaintext, output.AsSpan(13, plaintext.Length), output.AsSpan(13 + plaintext.Length), System.Text.Encoding.UTF8.GetBytes(context));
        return output;
    }

    public byte[] Unprotect(ReadOnlySpan<byte> protectedData, string context)
    {
        if (protectedData.Length < 29 || protectedData[0] != Version) throw new CryptographicException("Unknown protected data format.");
        var plaintext = new byte[protectedData.Length - 29];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(protectedData.Slice(1, 12), protectedData.Slice(13, plaintext.Length), protectedData[^16..], plaintext, System.Text.Encoding.UTF8.GetBytes(context));
        return plaintext;
    }
}
