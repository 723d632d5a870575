using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Platform.Residency.Data;
using Platform.Residency.Model;

namespace Platform.Residency.Scans;

/// <summary>
/// Builds an organization's leak-scan report from every region's inventory. An item's region is the one its id names
/// (a dataset's, for an object or file whose own id names none; the row's for ids from before regions); it is a leak
/// when it is found in any other region's database or blob root, or — for a single-region organization — outside the
/// organization's region. A file is also a leak when its bytes are those of an object stored in another region
/// (a copy of its ciphertext under any name).
/// </summary>
internal sealed class LeakScanner(Inventories inventories, ResidencyStore store, TimeProvider time)
{
    public async Task<(ScanReport? Report, IReadOnlyList<string> Unreachable)> ScanAsync(string organizationId, string scannedBy, CancellationToken cancellationToken)
    {
        var residency = await store.GetAsync(organizationId, cancellationToken);
        var (found, unreachable) = await inventories.TakeAsync(organizationId, cancellationToken);
        if (unreachable.Count > 0) return (null, unreachable);
        return (Build(organizationId, scannedBy, residency, found, Guid.CreateVersion7(time.GetUtcNow()).ToString("n"), time.GetUtcNow()), []);
    }

    internal static ScanReport Build(string organizationId, string scannedBy, OrganizationResidency residency, IReadOnlyList<RegionInventory> found, string scanId, DateTimeOffset now)
    {
        var only = residency.Mode == ResidencyModes.SingleRegion ? residency.Region : null;
        // Where each object legitimately is: the file at its blob key in its own region, by content.
        var homes = new Dictionary<string, (string Region, string ObjectId, string DatasetId)>(StringComparer.Ordinal);
        foreach (var inventory in found)
        {
            var files = inventory.Blobs.ToDictionary(b => b.Path, StringComparer.Ordinal);
            foreach (var row in inventory.Objects)
            {
                if (PinOfObject(row, inventory) == inventory.Region && files.TryGetValue(row.BlobKey, out var file)) homes.TryAdd(file.Sha256, (inventory.Region, row.Id, row.DatasetId));
            }
        }

        var leaks = new List<Leak>();
        var unattributed = new List<UnattributedBlob>();
        var regions = new List<RegionSummary>();
        var datasets = new List<DatasetSummary>();
        foreach (var inventory in found)
        {
            var here = inventory.Region;
            var before = leaks.Count;
            var files = inventory.Blobs.ToDictionary(b => b.Path, StringComparer.Ordinal);
            var keys = inventory.Objects.Select(o => o.BlobKey).ToHashSet(StringComparer.Ordinal);
            var byDataset = inventory.Objects.ToLookup(o => o.DatasetId, StringComparer.Ordinal);
            foreach (var row in inventory.Datasets)
            {
                var pinned = PinnedIds.RegionOf(row.Id, "ds_") ?? row.Region;
                var outside = pinned != here || row.Region != here ? pinned : only is not null && only != here ? only : null;
                if (outside is not null) leaks.Add(new Leak("dataset-row", here, $"datasets/{row.Id}", row.Id, null, outside, null, null, null));
                var objects = byDataset[row.Id].OrderBy(o => o.Id, StringComparer.Ordinal).ToList();
                var lines = string.Concat(objects.Select(o => $"{o.Id} {o.Size.ToString(CultureInfo.InvariantCulture)} {(files.TryGetValue(o.BlobKey, out var f) ? f.Sha256 : "-")}\n"));
                datasets.Add(new DatasetSummary(row.Id, pinned, here, objects.Count, objects.Sum(o => o.Size), Sha256(lines)));
            }

            foreach (var row in inventory.Objects)
            {
                var pinned = PinOfObject(row, inventory);
                var outside = pinned != here ? pinned : only is not null && only != here ? only : null;
                if (outside is not null) leaks.Add(new Leak("object-row", here, $"objects/{row.Id}", row.DatasetId, row.Id, outside, row.Size, null, null));
            }

            foreach (var file in inventory.Blobs)
            {
                var parts = file.Path.Split('/');
                var datasetId = parts.Length == 3 && PinnedIds.IsId(parts[1], "ds_") ? parts[1] : null;
                var objectId = parts.Length == 3 && PinnedIds.IsId(parts[2], "obj_") ? parts[2] : null;
                var named = PinnedIds.RegionOf(objectId, "obj_") ?? PinnedIds.RegionOf(datasetId, "ds_");
                var copy = homes.TryGetValue(file.Sha256, out var home) && (home.Region != here || !keys.Contains(file.Path)) ? home : default;
                var pinned = copy.Region is { } copied && copied != here ? copied : named ?? here;
                var outside = pinned != here ? pinned : only is not null && only != here ? only : null;
                if (outside is not null)
                {
                    leaks.Add(new Leak("blob", here, file.Path, datasetId ?? copy.DatasetId, objectId ?? copy.ObjectId, outside, file.Size, file.Sha256, copy.ObjectId));
                }
                else if (!keys.Contains(file.Path))
                {
                    unattributed.Add(new UnattributedBlob(here, file.Path, file.Size, file.Sha256));
                }
            }

            var inventoryLines = inventory.Datasets.Select(d => $"dataset {d.Id} {d.Region} {d.Environment}\n")
                .Concat(inventory.Objects.Select(o => $"object {o.Id} {o.DatasetId} {o.Size.ToString(CultureInfo.InvariantCulture)} {o.BlobKey}\n"))
                .Concat(inventory.Blobs.Select(b => $"blob {b.Path} {b.Size.ToString(CultureInfo.InvariantCulture)} {b.Sha256}\n"))
                .Order(StringComparer.Ordinal);
            regions.Add(new RegionSummary(here, inventory.Datasets.Count, inventory.Objects.Count, inventory.Objects.Sum(o => o.Size), inventory.Blobs.Count,
                inventory.Blobs.Sum(b => b.Size), inventory.Objects.Count(o => !files.ContainsKey(o.BlobKey)), leaks.Count - before, inventory.FencedTo,
                Sha256(string.Concat(inventoryLines))));
        }

        return new ScanReport(ScanReport.FormatName, scanId, organizationId, now, scannedBy, residency.Mode, residency.Region, leaks.Count == 0,
            regions, datasets, leaks, unattributed);
    }

    /// <summary>An object's region: its id's, else its dataset id's, else its dataset row's in that region, else the region holding it.</summary>
    private static string PinOfObject(InventoryObject row, RegionInventory inventory) =>
        PinnedIds.RegionOf(row.Id, "obj_") ?? PinnedIds.RegionOf(row.DatasetId, "ds_")
        ?? inventory.RowRegions.GetValueOrDefault(row.DatasetId) ?? inventory.Region;

    private static string Sha256(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
}
