namespace Platform.Storage.Apis;

/// <summary>Limits on a transit encryption context: it goes into the associated data of every ciphertext.</summary>
internal static class EncryptionContext
{
    public const int MaxEntries = 16;
    public const int MaxNameLength = 64;
    public const int MaxValueLength = 256;

    public static string? Problem(Dictionary<string, string>? context)
    {
        if (context is null) return null;
        if (context.Count > MaxEntries) return $"context has at most {MaxEntries} entries.";
        foreach (var (name, value) in context)
        {
            if (name is not { Length: > 0 and <= MaxNameLength } || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.'))
            {
                return $"context names are 1 to {MaxNameLength} ASCII letters, digits, '_', '-' or '.'.";
            }

            if (value is null || value.Length > MaxValueLength || value.Any(char.IsControl))
            {
                return $"context values are strings of at most {MaxValueLength} characters without control characters.";
            }
        }

        return null;
    }
}
