using System.Buffers;
using System.Buffers.Binary;
using System.IO.Hashing;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Keys.Model;

/// <summary>
/// API keys (SPEC KEY-FMT), GitHub's token format: <c>sk_live_</c> or <c>sk_test_</c>, 32 base62 characters from
/// the CSPRNG (32 × log2 62 ≈ 190 bits) and 6 base62 characters of the CRC32 of everything before them. The
/// checksum lets the gateway and secret scanners reject a mistyped or invented key without a lookup; it is public
/// and proves nothing about the key's validity.
/// </summary>
internal static class KeyFormat
{
    public const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
    public const string LivePrefix = "sk_live_";
    public const string TestPrefix = "sk_test_";
    public const int PrefixLength = 8;
    public const int BodyLength = 32;
    public const int ChecksumLength = 6;
    public const int Length = PrefixLength + BodyLength + ChecksumLength;

    /// <summary>The prefix and 4 body characters (24 of 190 bits): enough to tell keys apart in a list, never to guess one.</summary>
    public const int DisplayPrefixLength = PrefixLength + 4;

    private static readonly SearchValues<char> base62 = SearchValues.Create(Alphabet);

    public static string Generate(KeyEnvironment environment)
    {
        // GetString picks each character uniformly (rejection sampling), so no character is likelier than another.
        var payload = Prefix(environment) + RandomNumberGenerator.GetString(Alphabet, BodyLength);
        return payload + Checksum(payload);
    }

    public static string Prefix(KeyEnvironment environment) => environment == KeyEnvironment.Live ? LivePrefix : TestPrefix;

    /// <summary>Checks prefix, length, alphabet and checksum; touches no storage.</summary>
    public static bool TryParse(string? candidate, out ParsedKey key)
    {
        key = default;
        if (candidate is not { Length: Length }) return false;

        KeyEnvironment environment;
        if (candidate.StartsWith(LivePrefix, StringComparison.Ordinal)) environment = KeyEnvironment.Live;
        else if (candidate.StartsWith(TestPrefix, StringComparison.Ordinal)) environment = KeyEnvironment.Test;
        else return false;

        var rest = candidate.AsSpan(PrefixLength);
        if (rest.ContainsAnyExcept(base62)) return false;
        if (!Checksum(candidate.AsSpan(0, PrefixLength + BodyLength)).AsSpan().SequenceEqual(rest[BodyLength..])) return false;

        key = new ParsedKey(environment, candidate[..DisplayPrefixLength]);
        return true;
    }

    /// <summary>The CRC32 of <paramref name="text"/> (ASCII) as 6 base62 digits, most significant first (62^6 &gt; 2^32).</summary>
    internal static string Checksum(ReadOnlySpan<char> text)
    {
        Span<byte> ascii = stackalloc byte[PrefixLength + BodyLength];
        var length = Encoding.ASCII.GetBytes(text, ascii);
        Span<byte> crc = stackalloc byte[4];
        Crc32.Hash(ascii[..length], crc);
        // Crc32.Hash writes little-endian.
        ulong value = BinaryPrimitives.ReadUInt32LittleEndian(crc);
        return string.Create(ChecksumLength, value, static (digits, remaining) =>
        {
            for (var index = digits.Length - 1; index >= 0; index--)
            {
                digits[index] = Alphabet[(int)(remaining % 62)];
                remaining /= 62;
            }
        });
    }
}

/// <summary>What a well-formed key says about itself without a lookup.</summary>
internal readonly record struct ParsedKey(KeyEnvironment Environment, string DisplayPrefix);
