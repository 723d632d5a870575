using System.Globalization;

namespace Platform.SecurityConsole.Pages;

/// <summary>How long a rotated credential (an API key, an OAuth client's secret) keeps working beside its successor.</summary>
internal static class Overlaps
{
    public static readonly (string Value, string Label)[] Choices = [("0", "none: the old one stops now"), ("3600", "1 hour"), ("86400", "1 day"), ("604800", "7 days")];

    /// <summary>The overlap the form asked for, in seconds (the API checks its range and answers in words).</summary>
    public static int FromForm(HttpContext http, int fallback) =>
        int.TryParse(http.Request.Form["overlapSeconds"], NumberStyles.None, CultureInfo.InvariantCulture, out var seconds) ? seconds : fallback;
}
