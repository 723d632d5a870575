using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Residency.Model;

namespace Platform.Residency.Regions;

/// <summary>
/// Residency fences at every region's storage (issue 17, the check/commit race): before residency checks what the
/// other regions hold for a move to one region, each of them is fenced (it makes no new dataset of the organization
/// from then on, and answers only once every creation under way there has committed); the region itself is unfenced.
/// Going multi-region lifts every fence. A change that does not commit puts back the fences of the residency in force.
/// </summary>
internal sealed partial class StorageFences(IHttpClientFactory clients, RegionRegistry regions, IOptions<ResidencyOptions> options, ILogger<StorageFences> logger)
{
    /// <summary>Fences (or unfences) every region for <paramref name="mode"/>/<paramref name="region"/>; the regions that did not answer.</summary>
    public async Task<IReadOnlyList<string>> ApplyAsync(string organizationId, string mode, string? region, CancellationToken cancellationToken)
    {
        var results = await Task.WhenAll(regions.All.Select(async r =>
            await SetAsync(r, organizationId, mode == ResidencyModes.SingleRegion && r.Id != region ? region : null, cancellationToken) ? null : r.Id));
        return results.OfType<string>().ToList();
    }

    private async Task<bool> SetAsync(RegionOptions region, string organizationId, string? fencedTo, CancellationToken cancellationToken)
    {
        var path = $"internal/v1/organizations/{Uri.EscapeDataString(organizationId)}/residency-fence";
        try
        {
            using var request = RegionalStorageClient.Request(fencedTo is null ? HttpMethod.Delete : HttpMethod.Put, region, path, options,
                fencedTo is null ? null : JsonContent.Create(new { region = fencedTo }));
            using var response = await clients.CreateClient(StorageHoldings.Client).SendAsync(request, cancellationToken);
            response.EnsureSuccessStatusCode();
            return true;
        }
        catch (Exception exception) when (RegionalStorageClient.IsUnreachable(exception, cancellationToken))
        {
            LogFenceFailed(logger, organizationId, region.Id, exception.GetType().Name);
            return false;
        }
    }

    [LoggerMessage(EventId = 1813, Level = LogLevel.Warning, Message = "The residency fence of {OrganizationId} could not be set at the storage of {Region} ({ErrorType})")]
    private static partial void LogFenceFailed(ILogger logger, string organizationId, string region, string errorType);
}
