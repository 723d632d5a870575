using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.Audit.Siem;

/// <summary>
/// Seals SIEM destinations' tokens (Splunk HEC) at rest with AES-256-GCM under a data key derived (HKDF-SHA256) from
/// <see cref="SiemOptions.TokenKey"/>. The destination's id and organization are the associated data, so a sealed
/// token copied into another destination's row does not open. Sealed: 0x01 ‖ 12-byte nonce ‖ ciphertext ‖ 16-byte tag.
/// Without a token key the platform keeps no tokens, and HEC destinations are refused.
/// </summary>
internal sealed class TokenSealer
{
    private const byte Version = 1;
    private readonly byte[]? key;

    public TokenSealer(IOptions<SiemOptions> options)
    {
        var secret = options.Value.TokenKey;
        if (!string.IsNullOrEmpty(secret))
        {
            key = HKDF.DeriveKey(HashAlgorithmName.SHA256, Encoding.UTF8.GetBytes(secret), 32, info: "platform.dev/audit/siem-token/v1"u8.ToArray());
        }
    }

    public bool IsAvailable => key is not null;

    public byte[] Seal(string destinationId, string organizationId, string token)
    {
        var plaintext = Encoding.UTF8.GetBytes(token);
        var sealedToken = new byte[1 + 12 + plaintext.Length + 16];
        sealedToken[0] = Version;
        var nonce = sealedToken.AsSpan(1, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(key ?? throw new InvalidOperationException("No SIEM token key is configured."), 16);
        aes.Encrypt(nonce, plaintext, sealedToken.AsSpan(13, plaintext.Length), sealedToken.AsSpan(13 + plaintext.Length), Associated(destinationId, organizationId));
        return sealedToken;
    }

    public string Open(string destinationId, string organizationId, byte[] sealedToken)
    {
        if (key is null || sealedToken.Length < 29 || sealedToken[0] != Version) throw new SiemDeliveryException("The destination's token cannot be opened here.");
        var plaintext = new byte[sealedToken.Length - 29];
        using var aes = new AesGcm(key, 16);
        try
        {
            aes.Decrypt(sealedToken.AsSpan(1, 12), sealedToken.AsSpan(13, plaintext.Length), sealedToken.AsSpan(13 + plaintext.Length), plaintext, Associated(destinationId, organizationId));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw new SiemDeliveryException("The destination's token cannot be opened here.");
        }

        return Encoding.UTF8.GetString(plaintext);
    }

    private static byte[] Associated(string destinationId, string organizationId) => Encoding.UTF8.GetBytes($"{destinationId}\n{organizationId}");
}
