using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace Platform.Keys.Model;

/// <summary>
/// The only form in which a key is stored (SPEC KEY-STORE): HMAC-SHA256 under a server-side pepper from
/// configuration. A copy of the database alone cannot be used to test guesses, and the pepper is never written to
/// the database or a log.
/// </summary>
internal sealed class KeyHasher(IOptions<KeysOptions> options)
{
    public const int HashLength = HMACSHA256.HashSizeInBytes;

    private readonly byte[] pepper = Convert.FromBase64String(options.Value.Pepper);

    /// <summary>Hashes a key that <see cref="KeyFormat.TryParse"/> accepted (ASCII, <see cref="KeyFormat.Length"/> characters).</summary>
    public byte[] Hash(string key)
    {
        Span<byte> ascii = stackalloc byte[KeyFormat.Length];
        var length = Encoding.ASCII.GetBytes(key, ascii);
        var hash = HMACSHA256.HashData(pepper, ascii[..length]);
        CryptographicOperations.ZeroMemory(ascii);
        return hash;
    }

    /// <summary>Constant time: how much of a stored hash matches must not show in the time taken.</summary>
    public static bool Matches(ReadOnlySpan<byte> stored, ReadOnlySpan<byte> presented) =>
        CryptographicOperations.FixedTimeEquals(stored, presented);
}
