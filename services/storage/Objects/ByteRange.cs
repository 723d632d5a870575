using System.Globalization;

namespace Platform.Storage.Objects;

internal enum RangeKind
{
    /// <summary>No Range header, or one this server ignores (RFC 9110 section 14.2: several ranges, bad syntax).</summary>
    Whole,
    Partial,
    Unsatisfiable,
}

/// <summary>A single byte range of a representation of <c>size</c> bytes (RFC 9110 section 14.1.2); inclusive bounds.</summary>
internal readonly record struct ByteRange(RangeKind Kind, long First, long Last)
{
    public long Length => Last - First + 1;

    public static ByteRange Parse(string? header, long size)
    {
        var whole = new ByteRange(RangeKind.Whole, 0, size - 1);
        if (string.IsNullOrEmpty(header)) return whole;
        if (!header.StartsWith("bytes=", StringComparison.OrdinalIgnoreCase)) return whole;
        var spec = header["bytes=".Length..].Trim();
        if (spec.Contains(',')) return whole;
        var dash = spec.IndexOf('-');
        if (dash < 0) return whole;

        var firstText = spec[..dash].Trim();
        var lastText = spec[(dash + 1)..].Trim();
        if (firstText.Length == 0)
        {
            // Suffix range: the last N bytes (section 14.1.3).
            if (!TryDigits(lastText, out var suffix)) return whole;
            if (suffix == 0 || size == 0) return new ByteRange(RangeKind.Unsatisfiable, 0, -1);
            return new ByteRange(RangeKind.Partial, Math.Max(0, size - suffix), size - 1);
        }

        if (!TryDigits(firstText, out var first)) return whole;
        long last;
        if (lastText.Length == 0) last = size - 1;
        else if (!TryDigits(lastText, out last) || last < first) return whole;

        if (first >= size) return new ByteRange(RangeKind.Unsatisfiable, 0, -1);
        return new ByteRange(RangeKind.Partial, first, Math.Min(last, size - 1));
    }

    private static bool TryDigits(string text, out long value)
    {
        value = 0;
        return text.Length is > 0 and <= 19 && text.All(char.IsAsciiDigit)
            && long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out value);
    }
}
