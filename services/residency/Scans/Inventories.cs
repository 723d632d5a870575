using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Residency.Regions;

namespace Platform.Residency.Scans;

/// <summary>What one region's storage holds of an organization (its <c>GET /internal/v1/organizations/{org}/inventory</c>).</summary>
internal sealed record RegionInventory(
    string OrganizationId, string Region, string? FencedTo, DateTimeOffset TakenAt,
    IReadOnlyList<InventoryDataset> Datasets, IReadOnlyList<InventoryObject> Objects, IReadOnlyList<InventoryBlob> Blobs)
{
    /// <summary>The region each dataset row of this inventory names, by dataset id.</summary>
    [System.Text.Json.Serialization.JsonIgnore]
    public IReadOnlyDictionary<string, string> RowRegions => field ??= Datasets.GroupBy(d => d.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Region, StringComparer.Ordinal);
}

internal sealed record InventoryDataset(string Id, string Region, string Environment);

internal sealed record InventoryObject(string Id, string DatasetId, long Size, string BlobKey);

internal sealed record InventoryBlob(string Path, long Size, string Sha256);

/// <summary>
/// Asks every region's storage for its inventory of an organization, each answering from its own database and blob
/// root only; a region that does not answer (or answers for another region than it is registered as) is named.
/// </summary>
internal sealed partial class Inventories(IHttpClientFactory clients, RegionRegistry regions, IOptions<ResidencyOptions> options, ILogger<Inventories> logger)
{
    /// <summary>Its own client: an inventory hashes every file of the organization, which takes longer than the holdings check.</summary>
    public const string Client = "storage-inventories";

    public async Task<(IReadOnlyList<RegionInventory> Found, IReadOnlyList<string> Unreachable)> TakeAsync(string organizationId, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(regions.All.Select(region => AskAsync(region, organizationId, cancellationToken)));
        return (answers.OfType<RegionInventory>().ToList(), regions.All.Where((_, index) => answers[index] is null).Select(r => r.Id).ToList());
    }

    private async Task<RegionInventory?> AskAsync(RegionOptions region, string organizationId, CancellationToken cancellationToken)
    {
        try
        {
            using var request = RegionalStorageClient.Request(HttpMethod.Get, region, $"internal/v1/organizations/{Uri.EscapeDataString(organizationId)}/inventory", options);
            using var response = await clients.CreateClient(Client).SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            response.EnsureSuccessStatusCode();
            var inventory = await response.Content.ReadFromJsonAsync<RegionInventory>(cancellationToken) ?? throw new HttpRequestException("empty answer");
            // The storage registered for a region must say it serves that region: a misconfigured endpoint is no proof.
            if (inventory.Region != region.Id || inventory.OrganizationId != organizationId) throw new HttpRequestException($"answered as region '{inventory.Region}'");
            return inventory;
        }
        catch (Exception exception) when (RegionalStorageClient.IsUnreachable(exception, cancellationToken))
        {
            LogUnreachable(logger, region.Id, exception.GetType().Name);
            return null;
        }
    }

    [LoggerMessage(EventId = 1821, Level = LogLevel.Warning, Message = "The storage of region {Region} did not answer its inventory ({ErrorType})")]
    private static partial void LogUnreachable(ILogger logger, string region, string errorType);
}
