using System.Buffers;

namespace Platform.Keys.Model;

/// <summary>Opaque, typed, time-ordered ids: <c>key_</c> and a version 7 UUID in hex.</summary>
internal static class KeyIds
{
    public const string Prefix = "key_";
    private const int Length = 36;
    private static readonly SearchValues<char> hex = SearchValues.Create("0123456789abcdef");

    public static string New() => Prefix + Guid.CreateVersion7().ToString("N");

    public static bool IsWellFormed(string? value) =>
        value is { Length: Length } && value.StartsWith(Prefix, StringComparison.Ordinal) && !value.AsSpan(Prefix.Length).ContainsAnyExcept(hex);
}

/// <summary>Organization ids as the platform issues them: <c>org_</c> and 1 to 60 ASCII letters or digits.</summary>
internal static class OrganizationIds
{
    public const string Prefix = "org_";
    private static readonly SearchValues<char> alphanumerics = SearchValues.Create(KeyFormat.Alphabet);

    public static bool IsWellFormed(string? value) =>
        value is { Length: > 4 and <= 64 } && value.StartsWith(Prefix, StringComparison.Ordinal) && !value.AsSpan(Prefix.Length).ContainsAnyExcept(alphanumerics);
}
