using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.Extensions.Options;
using Platform.Residency.Model;

namespace Platform.Residency.Regions;

/// <summary>What each region's storage answered about an organization's datasets; <see cref="Unreachable"/> names the regions that did not answer.</summary>
internal sealed record Holdings(IReadOnlyList<HeldDataset> Datasets, IReadOnlyList<string> Unreachable);

/// <summary>
/// Asks every region's storage (its internal API, with residency's storage credential) which of an organization's
/// datasets it holds. Each storage answers only from its own database, so a dataset is where the storage that
/// lists it is, whatever its id says.
/// </summary>
internal sealed partial class StorageHoldings(IHttpClientFactory clients, RegionRegistry regions, IOptions<ResidencyOptions> options, ILogger<StorageHoldings> logger)
{
    public const string Client = "storage-regions";

    public async Task<Holdings> ListAsync(string organizationId, IEnumerable<string> regionIds, CancellationToken cancellationToken)
    {
        var answers = await Task.WhenAll(regionIds.Select(id => regions.Find(id)!).Select(region => AskAsync(region, organizationId, cancellationToken)));
        return new Holdings(answers.Where(a => a.Datasets is not null).SelectMany(a => a.Datasets!).ToList(),
            answers.Where(a => a.Datasets is null).Select(a => a.Region).ToList());
    }

    private async Task<(string Region, IReadOnlyList<HeldDataset>? Datasets)> AskAsync(RegionOptions region, string organizationId, CancellationToken cancellationToken)
    {
        var held = new List<HeldDataset>();
        string? after = null;
        try
        {
            do
            {
                var path = $"internal/v1/organizations/{Uri.EscapeDataString(organizationId)}/datasets?limit=500" + (after is null ? "" : $"&after={Uri.EscapeDataString(after)}");
                using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(new Uri(region.StorageEndpoint.TrimEnd('/') + "/"), path));
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.StorageToken);
                using var response = await clients.CreateClient(Client).SendAsync(request, cancellationToken);
                response.EnsureSuccessStatusCode();
                var page = await response.Content.ReadFromJsonAsync<DatasetPage>(cancellationToken) ?? throw new HttpRequestException("empty answer");
                held.AddRange(page.Items.Select(d => new HeldDataset(region.Id, d.Id, d.Environment)));
                after = page.Next;
            }
            while (after is not null);
            return (region.Id, held);
        }
        catch (Exception exception) when (exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            LogUnreachable(logger, region.Id, exception.GetType().Name);
            return (region.Id, null);
        }
    }

    private sealed record DatasetPage(IReadOnlyList<DatasetItem> Items, string? Next);

    private sealed record DatasetItem(string Id, string OrganizationId, string Environment);

    [LoggerMessage(EventId = 1811, Level = LogLevel.Warning, Message = "The storage of region {Region} did not answer which datasets it holds ({ErrorType})")]
    private static partial void LogUnreachable(ILogger logger, string region, string errorType);
}
