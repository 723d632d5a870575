using System.Text;

namespace Platform.Storage.Model;

/// <summary>
/// Object names are keys inside a dataset, never filesystem paths (blobs are stored under object ids), but a name
/// that looks like a traversal or hides control characters is refused anyway: other tools will treat names as paths.
/// </summary>
internal static class ObjectNames
{
    public const int MaxBytes = 1024;
    public const int MaxSegmentBytes = 255;

    /// <summary>Null when the name is acceptable, else why not (never repeating the name).</summary>
    public static string? Problem(string? name)
    {
        if (string.IsNullOrEmpty(name)) return "An object name is required.";
        if (Encoding.UTF8.GetByteCount(name) > MaxBytes) return $"An object name has at most {MaxBytes} UTF-8 bytes.";
        if (name.Any(c => char.IsControl(c) || c == '\\')) return "An object name may not contain control characters (NUL included) or backslashes.";
        if (name.StartsWith('/')) return "An object name is relative: it may not start with '/'.";
        foreach (var segment in name.Split('/'))
        {
            if (segment.Length == 0) return "An object name may not contain empty segments ('//' or a trailing '/').";
            if (segment is "." or "..") return "An object name may not contain '.' or '..' segments.";
            if (Encoding.UTF8.GetByteCount(segment) > MaxSegmentBytes) return $"Each '/'-separated part of an object name has at most {MaxSegmentBytes} bytes.";
        }

        return name.IsNormalized(NormalizationForm.FormC) ? null : "An object name must be Unicode NFC-normalized.";
    }
}
