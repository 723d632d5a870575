using System.Globalization;

namespace Platform.Gateway.SecurityTxt;

/// <summary>The syntax RFC 9116 section 2.5 sets for the fields the gateway serves.</summary>
internal static class SecurityTxtFields
{
    // Section 2.5.5: the Internet date/time format of RFC 3339 section 5.6, which always carries an offset ("Z" or
    // ±hh:mm). Exact formats, because DateTimeOffset.TryParse also takes "12/31/2027" and RFC 1123 dates.
    private static readonly string[] DateTimeFormats =
    [
        "yyyy-MM-dd'T'HH:mm:ss'Z'",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFF'Z'",
        "yyyy-MM-dd'T'HH:mm:sszzz",
        "yyyy-MM-dd'T'HH:mm:ss.FFFFFFFzzz",
    ];

    private static readonly string[] WebSchemes = [Uri.UriSchemeHttps];

    // Section 2.5.3: a contact may also be an e-mail address or a phone number.
    private static readonly string[] ContactSchemes = [Uri.UriSchemeMailto, "tel", Uri.UriSchemeHttps];

    public static bool TryParseExpires(string? value, out DateTimeOffset expires) =>
        DateTimeOffset.TryParseExact(value, DateTimeFormats, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out expires);

    /// <summary>What is wrong with a Contact, Encryption or Policy value, or null when it is a URI the RFC allows.</summary>
    public static string? UriProblem(string field, string value)
    {
        var schemes = field == "Contact" ? ContactSchemes : WebSchemes;
        var allowed = string.Join(", ", schemes.Select(scheme => $"{scheme}:"));

        // The scheme must be written out: on Linux Uri.TryCreate reads a rooted path such as /security/policy as
        // file:///security/policy. Spaces and line breaks are refused too, as the value is copied into the file.
        if (value.Any(character => char.IsWhiteSpace(character) || char.IsControl(character))
            || !Uri.TryCreate(value, UriKind.Absolute, out var uri)
            || !value.StartsWith($"{uri.Scheme}:", StringComparison.OrdinalIgnoreCase))
        {
            return $"Gateway:SecurityTxt:{field} must be an absolute URI ({allowed}).";
        }

        if (uri.Scheme == Uri.UriSchemeHttp)
        {
            return $"Gateway:SecurityTxt:{field} must use https, not http (RFC 9116 section 2.5).";
        }

        return schemes.Contains(uri.Scheme, StringComparer.Ordinal)
            ? null
            : $"Gateway:SecurityTxt:{field} must be an absolute URI ({allowed}), not {uri.Scheme}: (RFC 9116 section 2.5).";
    }
}
