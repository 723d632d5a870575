using System.Security.Cryptography;

namespace Platform.Identity.Accounts;

/// <summary>Single-use secrets sent by mail (verification, reset, invitation): 256 random bits; only their SHA-256 is stored.</summary>
internal static class SecretTokens
{
    public const int MaxLength = 64;

    public static string New() => Base64Url(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string token) => SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(token));

    public static bool IsWellFormed(string? token) =>
        token is { Length: 43 } && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
