using System.Buffers;

namespace Platform.Storage.Model;

/// <summary>Opaque, typed, time-ordered ids: a prefix and a version 7 UUID in hex.</summary>
internal static class TypedIds
{
    private static readonly SearchValues<char> hex = SearchValues.Create("0123456789abcdef");

    public static string New(string prefix) => prefix + Guid.CreateVersion7().ToString("N");

    public static bool IsWellFormed(string? value, string prefix) =>
        value is not null && value.Length == prefix.Length + 32 && value.StartsWith(prefix, StringComparison.Ordinal)
        && !value.AsSpan(prefix.Length).ContainsAnyExcept(hex);
}

internal static class DatasetIds
{
    public const string Prefix = "ds_";

    public static string New() => TypedIds.New(Prefix);

    public static bool IsWellFormed(string? value) => TypedIds.IsWellFormed(value, Prefix);
}

internal static class ObjectIds
{
    public const string Prefix = "obj_";

    public static string New() => TypedIds.New(Prefix);

    public static bool IsWellFormed(string? value) => TypedIds.IsWellFormed(value, Prefix);
}

/// <summary>Organization ids as the platform issues them: <c>org_</c> and 1 to 60 ASCII letters or digits.</summary>
internal static class OrganizationIds
{
    public static bool IsWellFormed(string? value) =>
        value is { Length: > 4 and <= 64 } && value.StartsWith("org_", StringComparison.Ordinal) && value.AsSpan(4).ToString().All(char.IsAsciiLetterOrDigit);
}

internal static class Regions
{
    public static bool IsWellFormed(string? value) =>
        value is { Length: > 0 and <= 32 } && value.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '-');
}
