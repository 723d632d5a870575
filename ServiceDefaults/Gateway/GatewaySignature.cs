using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.ServiceDefaults.Gateway;

/// <summary>
/// The gateway's signature over what it tells an upstream (SPEC GW-AUTH): the principal in the <c>X-Platform-*</c>
/// headers, the method and the path, at a time. An upstream that checks it believes those headers only when they come
/// from the gateway, even if something else on the network can reach it. The body is not covered (it streams).
/// <code>X-Platform-Signature: t=&lt;unix seconds&gt;,v1=&lt;base64url HMAC-SHA256&gt;</code>
/// over <c>"v1\n" t "\n" METHOD "\n" path?query "\n"</c> then, sorted by lower-case name, one
/// <c>name ":" value "\n"</c> per <c>X-Platform-*</c> header except the signature itself.
/// </summary>
public static class GatewaySignature
{
    public const string Header = "X-Platform-Signature";
    private const string Prefix = "X-Platform-";

    public static string Sign(ReadOnlySpan<byte> key, long unixSeconds, string method, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers) =>
        $"t={unixSeconds.ToString(CultureInfo.InvariantCulture)},v1={Base64Url(Mac(key, unixSeconds, method, pathAndQuery, headers))}";

    /// <summary>
    /// Whether <paramref name="signature"/> is the gateway's over this request, made no more than
    /// <paramref name="maxAge"/> from <paramref name="now"/> either way.
    /// </summary>
    public static bool Verify(ReadOnlySpan<byte> key, string? signature, DateTimeOffset now, TimeSpan maxAge,
        string method, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers)
    {
        if (signature is not { Length: > 0 and <= 200 } || !signature.StartsWith("t=", StringComparison.Ordinal)) return false;
        var comma = signature.IndexOf(",v1=", StringComparison.Ordinal);
        if (comma < 0 || !long.TryParse(signature.AsSpan(2, comma - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)) return false;
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > maxAge.TotalSeconds) return false;

        Span<byte> presented = stackalloc byte[HMACSHA256.HashSizeInBytes];
        var text = signature.AsSpan(comma + 4);
        if (!TryBase64Url(text, presented)) return false;
        return CryptographicOperations.FixedTimeEquals(presented, Mac(key, seconds, method, pathAndQuery, headers));
    }

    /// <summary>Whether a header name is one the signature covers.</summary>
    public static bool Covers(string name) =>
        name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && !name.Equals(Header, StringComparison.OrdinalIgnoreCase);

    private static byte[] Mac(ReadOnlySpan<byte> key, long unixSeconds, string method, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers)
    {
        var text = new StringBuilder(256)
            .Append("v1\n").Append(unixSeconds.ToString(CultureInfo.InvariantCulture)).Append('\n')
            .Append(method.ToUpperInvariant()).Append('\n').Append(pathAndQuery).Append('\n');
        foreach (var (name, value) in headers.Where(h => Covers(h.Key)).Select(h => (h.Key.ToLowerInvariant(), h.Value)).OrderBy(h => h.Item1, StringComparer.Ordinal))
        {
            text.Append(name).Append(':').Append(value).Append('\n');
        }

        return HMACSHA256.HashData(key, Encoding.UTF8.GetBytes(text.ToString()));
    }

    private static string Base64Url(byte[] bytes) => Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    private static bool TryBase64Url(ReadOnlySpan<char> text, Span<byte> destination)
    {
        if (text.Length != 43) return false;
        Span<char> padded = stackalloc char[44];
        for (var index = 0; index < text.Length; index++) padded[index] = text[index] switch { '-' => '+', '_' => '/', var c => c };
        padded[43] = '=';
        return Convert.TryFromBase64Chars(padded, destination, out var written) && written == destination.Length;
    }
}

/// <summary>
/// The key the gateway signs with and upstreams check with: <c>Gateway:UpstreamSigning</c> at the gateway,
/// <c>GatewaySigning</c> in a service. Without a key nothing is signed or checked.
/// </summary>
public class GatewaySigningOptions
{
    /// <summary>Base64 of at least 32 random bytes, shared by the gateway and the services behind it.</summary>
    public string? Key { get; set; }

    /// <summary>How far a signature's time may be from the checker's clock, either way.</summary>
    public TimeSpan MaxAge { get; set; } = TimeSpan.FromSeconds(60);

    public bool Enabled => !string.IsNullOrEmpty(Key);

    public byte[] KeyBytes => Convert.FromBase64String(Key!);

    public IEnumerable<string> Validate(string section)
    {
        if (!Enabled) yield break;
        byte[]? bytes = null;
        try
        {
            bytes = Convert.FromBase64String(Key!);
        }
        catch (FormatException)
        {
            // Reported below without the value.
        }

        if (bytes is not { Length: >= 32 }) yield return $"{section}:Key must be base64 of at least 32 random bytes.";
        if (MaxAge < TimeSpan.FromSeconds(5) || MaxAge > TimeSpan.FromMinutes(10)) yield return $"{section}:MaxAge must be between 5 s and 10 minutes.";
    }
}
