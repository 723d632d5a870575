namespace Platform.Storage.Model;

internal static class DatasetNames
{
    public const int MaxLength = 200;

    public static bool IsValid(string? name) =>
        name is { Length: > 0 and <= MaxLength } && name.Trim() == name && !name.Any(char.IsControl);
}
