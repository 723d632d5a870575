using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.SecurityConsole.Auth;

/// <summary>
/// AES-256-GCM under a key derived (HKDF) from <c>Console:DataKey</c>, bound to the session: what Redis holds (the
/// user's tokens) is useless without the data key, and one session's blob cannot be swapped for another's.
/// </summary>
internal sealed class SessionSeal
{
    private readonly byte[] key;

    public SessionSeal(IOptions<ConsoleOptions> options)
    {
        var raw = Convert.FromBase64String(options.Value.DataKey);
        key = HKDF.DeriveKey(HashAlgorithmName.SHA256, raw, 32, salt: [], info: "platform-console/sessions"u8.ToArray());
    }

    public byte[] Seal(byte[] plaintext, string binding)
    {
        var output = new byte[12 + 16 + plaintext.Length];
        RandomNumberGenerator.Fill(output.AsSpan(0, 12));
        using var aes = new AesGcm(key, 16);
        aes.Encrypt(output.AsSpan(0, 12), plaintext, output.AsSpan(28), output.AsSpan(12, 16), Encoding.UTF8.GetBytes(binding));
        return output;
    }

    public byte[]? Open(byte[] sealedBytes, string binding)
    {
        if (sealedBytes.Length < 28) return null;
        var plaintext = new byte[sealedBytes.Length - 28];
        using var aes = new AesGcm(key, 16);
        try
        {
            aes.Decrypt(sealedBytes.AsSpan(0, 12), sealedBytes.AsSpan(28), sealedBytes.AsSpan(12, 16), plaintext, Encoding.UTF8.GetBytes(binding));
            return plaintext;
        }
        catch (AuthenticationTagMismatchException)
        {
            return null;
        }
    }
}
