using System.Text;

namespace Platform.Messaging.DeadLettering;

/// <summary>
/// Makes failure text fit for a header and an operator's screen: one line, printable, bounded. Exception messages
/// can quote input, so the text is cut short rather than trusted to be small.
/// </summary>
internal static class ReasonText
{
    public const int MaxLength = 500;

    public static string Describe(Exception exception) =>
        Sanitize($"{exception.GetType().Name}: {exception.Message}");

    public static string Sanitize(string text, int maxLength = MaxLength)
    {
        var builder = new StringBuilder(Math.Min(text.Length, maxLength + 1));
        var lastWasSpace = false;
        foreach (var character in text)
        {
            var printable = !char.IsControl(character) && !char.IsSurrogate(character);
            var next = printable ? character : ' ';
            if (next == ' ' && lastWasSpace)
            {
                continue;
            }

            builder.Append(next);
            lastWasSpace = next == ' ';
            if (builder.Length > maxLength)
            {
                break;
            }
        }

        var result = builder.ToString().Trim();
        return result.Length <= maxLength ? result : string.Concat(result.AsSpan(0, maxLength - 1), "…");
    }
}
