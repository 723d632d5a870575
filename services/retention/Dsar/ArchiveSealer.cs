using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;
using Platform.Retention.Purge;

namespace Platform.Retention.Dsar;

/// <summary>
/// Seals an access/portability archive at rest: AES-256-GCM under a key derived with HKDF-SHA256 from the receipt
/// signing secret (<c>Retention:Purge:SigningKey</c>, validated at start-up) with its own label, a random 96-bit nonce,
/// and the request and organization ids as associated data (a sealed archive moved to another request or organization
/// does not open). The plaintext's Ed25519 signature (<see cref="ReceiptSigner"/>) lets the requester check it.
/// </summary>
internal sealed class ArchiveSealer(IOptions<PurgeOptions> options)
{
    private static readonly byte[] Label = Encoding.ASCII.GetBytes("platform.dev/retention/subject-archive/v1");
    private readonly byte[] key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(options.Value.SigningKey), 32, salt: [], info: Label);

    public (byte[] Nonce, byte[] Sealed) Seal(byte[] plaintext, string requestId, string organizationId)
    {
        var nonce = RandomNumberGenerator.GetBytes(12);
        var sealedBytes = new byte[plaintext.Length + 16];
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(nonce, plaintext, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), Associated(requestId, organizationId));
        return (nonce, sealedBytes);
    }

    /// <summary>The plaintext; throws <see cref="AuthenticationTagMismatchException"/> when altered or moved.</summary>
    public byte[] Open(byte[] nonce, byte[] sealedBytes, string requestId, string organizationId)
    {
        var plaintext = new byte[sealedBytes.Length - 16];
        using var aes = new AesGcm(key, 16);
        aes.Decrypt(nonce, sealedBytes.AsSpan(0, plaintext.Length), sealedBytes.AsSpan(plaintext.Length), plaintext, Associated(requestId, organizationId));
        return plaintext;
    }

    private static byte[] Associated(string requestId, string organizationId) => Encoding.UTF8.GetBytes($"{requestId}\n{organizationId}");
}
