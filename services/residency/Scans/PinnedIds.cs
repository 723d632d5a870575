namespace Platform.Residency.Scans;

/// <summary>
/// The region a dataset or object id names (<c>ds_eu_&lt;32 hex&gt;</c>, <c>obj_eu_&lt;32 hex&gt;</c>), as storage makes
/// them; null for an id from before regions (<c>ds_&lt;32 hex&gt;</c>) or anything else.
/// </summary>
internal static class PinnedIds
{
    public static string? RegionOf(string? id, string prefix)
    {
        const int Hex = 32;
        if (id is null || id.Length < prefix.Length + 2 + Hex || !id.StartsWith(prefix, StringComparison.Ordinal)) return null;
        var separator = id.Length - Hex - 1;
        if (id[separator] != '_' || !id.AsSpan(separator + 1).ToString().All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f')) return null;
        var region = id[prefix.Length..separator];
        return Model.RegionIds.IsWellFormed(region) ? region : null;
    }

    public static bool IsId(string? id, string prefix) =>
        RegionOf(id, prefix) is not null
        || id is not null && id.Length == prefix.Length + 32 && id.StartsWith(prefix, StringComparison.Ordinal) && id.AsSpan(prefix.Length).ToString().All(c => char.IsAsciiDigit(c) || c is >= 'a' and <= 'f');
}
