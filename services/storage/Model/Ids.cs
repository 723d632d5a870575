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

/// <summary>
/// Dataset and object ids carry the region they are pinned to (SPEC RES-PIN): <c>ds_&lt;region&gt;_&lt;uuid7 hex&gt;</c>,
/// so that the gateway routes a request to the region's storage without a lookup, a storage refuses one pinned
/// elsewhere, and a purge request reaches only the region holding the item. Ids made before regions
/// (<c>ds_&lt;hex&gt;</c>) name none: they are the region of the storage that holds them.
/// </summary>
internal static class PinnedIds
{
    private const int HexLength = 32;

    public static string New(string prefix, string region) => $"{prefix}{region}_{Guid.CreateVersion7():N}";

    /// <summary>The region a well-formed pinned id names; null for an id without one, or a malformed id.</summary>
    public static string? RegionOf(string? value, string prefix)
    {
        if (value is null || value.Length < prefix.Length + 2 + HexLength || !value.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var separator = value.Length - HexLength - 1;
        if (value[separator] != '_' || !TypedIds.IsWellFormed(prefix + value[(separator + 1)..], prefix)) return null;
        var region = value[prefix.Length..separator];
        return Regions.IsWellFormed(region) ? region : null;
    }
}

internal static class DatasetIds
{
    public const string Prefix = "ds_";

    public static string New(string region) => PinnedIds.New(Prefix, region);

    public static bool IsWellFormed(string? value) => TypedIds.IsWellFormed(value, Prefix) || RegionOf(value) is not null;

    public static string? RegionOf(string? value) => PinnedIds.RegionOf(value, Prefix);
}

internal static class ObjectIds
{
    public const string Prefix = "obj_";

    public static string New(string region) => PinnedIds.New(Prefix, region);

    public static bool IsWellFormed(string? value) => TypedIds.IsWellFormed(value, Prefix) || RegionOf(value) is not null;

    public static string? RegionOf(string? value) => PinnedIds.RegionOf(value, Prefix);
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
