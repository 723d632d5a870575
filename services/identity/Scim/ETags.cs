using System.Globalization;

namespace Platform.Identity.Scim;

/// <summary>Weak ETags from a resource's version (RFC 7644 section 3.14): <c>W/"n"</c>; If-Match compares weakly.</summary>
internal static class ETags
{
    public static string Of(long version) => $"W/\"{version.ToString(CultureInfo.InvariantCulture)}\"";

    /// <summary>Nothing when there is no If-Match or it names this version (or <c>*</c>); else 412.</summary>
    public static void Check(string? ifMatch, long version)
    {
        if (string.IsNullOrWhiteSpace(ifMatch)) return;
        var wanted = $"\"{version.ToString(CultureInfo.InvariantCulture)}\"";
        foreach (var tag in ifMatch.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
        {
            if (tag == "*" || (tag.StartsWith("W/", StringComparison.Ordinal) ? tag[2..] : tag) == wanted) return;
        }

        throw ScimError.PreconditionFailed();
    }
}
