using System.Net;
using System.Text.RegularExpressions;

namespace Platform.Hosting.Testing;

/// <summary>What a test reads off a server-rendered page or a mail, as a person (or a browser without JavaScript) would.</summary>
public static partial class BrowserForms
{
    /// <summary>The value of the hidden input <paramref name="name"/> (an anti-forgery token, a return URL) in <paramref name="page"/>.</summary>
    public static string Hidden(string page, string name) =>
        HiddenInput().Matches(page).FirstOrDefault(m => m.Groups["name"].Value == name) is { } match
            ? WebUtility.HtmlDecode(match.Groups["value"].Value)
            : throw new InvalidOperationException($"No hidden input {name} in the page.");

    /// <summary>The code (a 43-character base64url token) on a line of its own in a mail.</summary>
    public static string CodeIn(string mail) =>
        mail.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length == 43 && l.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
            ?? throw new InvalidOperationException("No code in the mail.");

    public static string Base64Url(byte[] bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);

    [GeneratedRegex("""<input type="hidden" name="(?<name>[^"]+)" value="(?<value>[^"]*)">""")]
    private static partial Regex HiddenInput();
}
