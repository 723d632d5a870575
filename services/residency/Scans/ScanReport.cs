namespace Platform.Residency.Scans;

/// <summary>
/// A leak scan of one organization (issue 17 item 6), signed as a whole: what every region's storage holds of it, per
/// region (counts, bytes, a SHA-256 over the region's inventory), per dataset, and every item found outside the region
/// it is pinned to (<see cref="Leaks"/>; <see cref="Clean"/> when there is none).
/// </summary>
internal sealed record ScanReport(
    string Format, string ScanId, string OrganizationId, DateTimeOffset ScannedAt, string ScannedBy, string Mode, string? Region, bool Clean,
    IReadOnlyList<RegionSummary> Regions, IReadOnlyList<DatasetSummary> Datasets, IReadOnlyList<Leak> Leaks, IReadOnlyList<UnattributedBlob> Unattributed)
{
    public const string FormatName = "platform.dev/residency-scan/v1";
}

/// <summary>
/// One region's holdings of the organization. <see cref="InventorySha256"/> is the SHA-256 of the sorted lines
/// <c>dataset &lt;id&gt; &lt;row region&gt; &lt;environment&gt;</c>, <c>object &lt;id&gt; &lt;dataset&gt; &lt;size&gt; &lt;blob key&gt;</c> and
/// <c>blob &lt;path&gt; &lt;size&gt; &lt;sha256&gt;</c>, each ending in a newline: recomputable from a copy of the region's data.
/// </summary>
internal sealed record RegionSummary(
    string Region, int Datasets, int Objects, long ObjectBytes, int Blobs, long BlobBytes, int MissingBlobs, int Leaks, string? FencedTo, string InventorySha256);

/// <summary>A dataset as found in <see cref="HeldIn"/>: the region it is pinned to, its objects there and a SHA-256 over them (<c>&lt;object id&gt; &lt;size&gt; &lt;blob sha256 or -&gt;</c> lines).</summary>
internal sealed record DatasetSummary(string Id, string PinnedRegion, string HeldIn, int Objects, long Bytes, string Sha256);

/// <summary>
/// Something of the organization found outside its region: a <c>dataset-row</c> or <c>object-row</c> of a region's
/// database, or a <c>blob</c> (file) of a region's blob root; <see cref="Location"/> is the table and row id or the
/// path under the blob root; <see cref="CopyOf"/> names the object whose ciphertext a file is a copy of.
/// </summary>
internal sealed record Leak(string Kind, string Region, string Location, string? DatasetId, string? ObjectId, string PinnedRegion, long? Size, string? Sha256, string? CopyOf);

/// <summary>A file under the organization's folder that no row of its region names and that copies no known object (in its region: not a leak).</summary>
internal sealed record UnattributedBlob(string Region, string Path, long Size, string Sha256);
