using System.Buffers;
using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Security.Gateway;

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

    // The signed text of a request is a few hundred bytes; a longer one (a long path or value) takes a pooled buffer.
    private const int StackLimit = 1024;

    public static string Sign(ReadOnlySpan<byte> key, long unixSeconds, string method, string pathAndQuery, IEnumerable<KeyValuePair<string, string>> headers) =>
        Sign(key, unixSeconds, method, pathAndQuery, "", Covered(headers));

    /// <summary>
    /// The same signature for a path and query given apart and headers the caller has collected (any order, any
    /// headers: those not covered are skipped; the span is reordered). The gateway's request path: no joined strings,
    /// no LINQ.
    /// </summary>
    public static string Sign(ReadOnlySpan<byte> key, long unixSeconds, string method, ReadOnlySpan<char> path, ReadOnlySpan<char> query,
        Span<KeyValuePair<string, string>> headers)
    {
        Span<byte> mac = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(key, unixSeconds, method, path, query, headers, mac);
        Span<char> text = stackalloc char[2 + 20 + 4 + 43];
        "t=".CopyTo(text);
        unixSeconds.TryFormat(text[2..], out var digits, default, CultureInfo.InvariantCulture);
        var length = 2 + digits;
        ",v1=".CopyTo(text[length..]);
        length += 4;
        length += Base64Url.EncodeToChars(mac, text[length..]);
        return new string(text[..length]);
    }

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
        Span<byte> expected = stackalloc byte[HMACSHA256.HashSizeInBytes];
        Mac(key, seconds, method, pathAndQuery, "", Covered(headers), expected);
        return CryptographicOperations.FixedTimeEquals(presented, expected);
    }

    /// <summary>Whether a header name is one the signature covers.</summary>
    public static bool Covers(string name) =>
        name.StartsWith(Prefix, StringComparison.OrdinalIgnoreCase) && !name.Equals(Header, StringComparison.OrdinalIgnoreCase);

    private static KeyValuePair<string, string>[] Covered(IEnumerable<KeyValuePair<string, string>> headers) =>
        headers.Where(h => Covers(h.Key)).ToArray();

    private static void Mac(ReadOnlySpan<byte> key, long unixSeconds, string method, ReadOnlySpan<char> path, ReadOnlySpan<char> query,
        Span<KeyValuePair<string, string>> headers, Span<byte> destination)
    {
        // Header names are HTTP tokens (ASCII), which the signed text has in lower case. A name that is not ASCII
        // (no HTTP stack lets one through) is lowered with the full invariant mapping, as the text defines it.
        var count = 0;
        for (var index = 0; index < headers.Length; index++)
        {
            var (name, value) = headers[index];
            if (!Covers(name)) continue;
            headers[count++] = KeyValuePair.Create(Ascii.IsValid(name) ? name : name.ToLowerInvariant(), value);
        }

        var covered = headers[..count];
        SortByLowerCaseName(covered);

        var upperMethod = Ascii.IsValid(method) ? null : method.ToUpperInvariant();
        var utf8 = Encoding.UTF8;
        var length = 3 + 20 + 1 + utf8.GetByteCount(upperMethod ?? method) + 1 + utf8.GetByteCount(path) + utf8.GetByteCount(query) + 1;
        foreach (var (name, value) in covered) length += utf8.GetByteCount(name) + 1 + utf8.GetByteCount(value) + 1;

        byte[]? rented = null;
        Span<byte> buffer = length <= StackLimit ? stackalloc byte[StackLimit] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var written = 0;
        Append(buffer, ref written, "v1\n"u8);
        unixSeconds.TryFormat(buffer[written..], out var digits, default, CultureInfo.InvariantCulture);
        written += digits;
        Append(buffer, ref written, "\n"u8);
        if (upperMethod is null)
        {
            Ascii.ToUpper(method, buffer[written..], out var methodLength);
            written += methodLength;
        }
        else
        {
            written += utf8.GetBytes(upperMethod, buffer[written..]);
        }

        Append(buffer, ref written, "\n"u8);
        written += utf8.GetBytes(path, buffer[written..]);
        written += utf8.GetBytes(query, buffer[written..]);
        Append(buffer, ref written, "\n"u8);
        foreach (var (name, value) in covered)
        {
            if (Ascii.IsValid(name))
            {
                Ascii.ToLower(name, buffer[written..], out var nameLength);
                written += nameLength;
            }
            else
            {
                written += utf8.GetBytes(name, buffer[written..]);
            }

            Append(buffer, ref written, ":"u8);
            written += utf8.GetBytes(value, buffer[written..]);
            Append(buffer, ref written, "\n"u8);
        }

        HMACSHA256.HashData(key, buffer[..written], destination);
        if (rented is not null) ArrayPool<byte>.Shared.Return(rented);
    }

    private static void Append(Span<byte> buffer, ref int written, ReadOnlySpan<byte> text)
    {
        text.CopyTo(buffer[written..]);
        written += text.Length;
    }

    /// <summary>
    /// Ordinal order of the lower-case names, stable (an insertion sort: a request has a handful of these headers).
    /// ASCII names are compared lower-cased character by character, which is the ordinal order of their lower-case forms.
    /// </summary>
    private static void SortByLowerCaseName(Span<KeyValuePair<string, string>> headers)
    {
        for (var index = 1; index < headers.Length; index++)
        {
            var item = headers[index];
            var at = index - 1;
            while (at >= 0 && CompareLowerCase(headers[at].Key, item.Key) > 0)
            {
                headers[at + 1] = headers[at];
                at--;
            }

            headers[at + 1] = item;
        }
    }

    private static int CompareLowerCase(string left, string right)
    {
        var length = Math.Min(left.Length, right.Length);
        for (var index = 0; index < length; index++)
        {
            var difference = LowerAscii(left[index]) - LowerAscii(right[index]);
            if (difference != 0) return difference;
        }

        return left.Length - right.Length;
    }

    private static char LowerAscii(char c) => c is >= 'A' and <= 'Z' ? (char)(c | 0x20) : c;

    private static bool TryBase64Url(ReadOnlySpan<char> text, Span<byte> destination) =>
        text.Length == 43 && Base64Url.TryDecodeFromChars(text, destination, out var written) && written == destination.Length;
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
