using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace Platform.Gateway.SecurityTxt;

/// <summary><c>/.well-known/security.txt</c> (RFC 9116), so researchers know where to report a vulnerability.</summary>
internal static class SecurityTxtEndpoint
{
    public const string Path = "/.well-known/security.txt";

    public static IEndpointRouteBuilder MapSecurityTxt(this IEndpointRouteBuilder endpoints)
    {
        // HEAD too: a scanner checks for the file before it reads it.
        endpoints.MapMethods(Path, [HttpMethods.Get, HttpMethods.Head], GetSecurityTxt).ExcludeFromDescription();
        return endpoints;
    }

    public static Results<ContentHttpResult, NotFound> GetSecurityTxt(IOptions<GatewayOptions> options)
    {
        var fields = options.Value.SecurityTxt;

        // Contact is the one field the file exists for (RFC 9116 section 2.5.3); without it, no file.
        if (string.IsNullOrWhiteSpace(fields.Contact))
        {
            return TypedResults.NotFound();
        }

        var text = new StringBuilder();
        text.Append("Contact: ").Append(fields.Contact).Append('\n');
        // Section 2.5.5 asks for the Internet date/time format of RFC 3339; the validator made sure it parses, and it
        // is normalised to UTC here.
        SecurityTxtFields.TryParseExpires(fields.Expires, out var expires);
        text.Append("Expires: ").Append(expires.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)).Append('\n');
        AppendOptional(text, "Encryption", fields.Encryption);
        AppendOptional(text, "Policy", fields.Policy);

        // Section 3: text/plain with a UTF-8 charset.
        return TypedResults.Text(text.ToString(), "text/plain; charset=utf-8", Encoding.UTF8);
    }

    private static void AppendOptional(StringBuilder text, string field, string? value)
    {
        if (!string.IsNullOrWhiteSpace(value))
        {
            text.Append(field).Append(": ").Append(value).Append('\n');
        }
    }
}
