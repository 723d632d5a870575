using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Platform.Residency.Tests.Infrastructure;

/// <summary>
/// Every region's storage as residency calls it (at the region's endpoint, <c>http://storage-&lt;region&gt;.test</c>):
/// the datasets it holds (<c>GET …/datasets</c>), its residency fences (<c>PUT|DELETE …/residency-fence</c>, kept in
/// <see cref="Fences"/>) and its inventory (<c>GET …/inventory</c>), answering from what a test registered; a region
/// can be made unreachable. The real storages answer end to end in Platform.IntegrationTests.
/// </summary>
public sealed class FakeRegionalStorage : HttpMessageHandler
{
    private readonly ConcurrentDictionary<(string Region, string Organization), ConcurrentBag<string>> datasets = new();
    private readonly ConcurrentDictionary<(string Region, string Organization), object> inventories = new();

    public ConcurrentQueue<HttpRequestMessage> Requests { get; } = new();

    public ConcurrentDictionary<string, bool> Down { get; } = new();

    /// <summary>Each region's fence of each organization (the region it is fenced to); absent: none.</summary>
    public ConcurrentDictionary<(string Region, string Organization), string> Fences { get; } = new();

    public void AddDataset(string region, string organization, string dataset) => datasets.GetOrAdd((region, organization), _ => []).Add(dataset);

    /// <summary>The inventory region <paramref name="region"/> answers for <paramref name="organization"/> (its JSON shape).</summary>
    public void SetInventory(string region, string organization, object datasetRows, object objectRows, object blobs) =>
        inventories[(region, organization)] = new { organizationId = organization, region, fencedTo = (string?)null, takenAt = DateTimeOffset.UtcNow, datasets = datasetRows, objects = objectRows, blobs };

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        var region = request.RequestUri!.Host.Split('.')[0]["storage-".Length..];
        if (Down.ContainsKey(region)) return new HttpResponseMessage(HttpStatusCode.ServiceUnavailable);
        var parts = request.RequestUri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        switch (parts)
        {
            case ["internal", "v1", "organizations", var organization, "datasets"]:
                var items = datasets.TryGetValue((region, organization), out var held) ? held.Order(StringComparer.Ordinal).Select(id => new { id, organizationId = organization, environment = "live" }) : [];
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new { items, next = (string?)null }) };
            case ["internal", "v1", "organizations", var organization, "residency-fence"] when request.Method == HttpMethod.Put:
                var body = await request.Content!.ReadFromJsonAsync<JsonElement>(cancellationToken);
                Fences[(region, organization)] = body.GetProperty("region").GetString()!;
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new { organizationId = organization, region, fencedTo = Fences[(region, organization)] }) };
            case ["internal", "v1", "organizations", var organization, "residency-fence"] when request.Method == HttpMethod.Delete:
                Fences.TryRemove((region, organization), out _);
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new { organizationId = organization, region, fencedTo = (string?)null }) };
            case ["internal", "v1", "organizations", var organization, "inventory"]:
                var inventory = inventories.TryGetValue((region, organization), out var found) ? found
                    : new { organizationId = organization, region, fencedTo = (string?)null, takenAt = DateTimeOffset.UtcNow, datasets = Array.Empty<object>(), objects = Array.Empty<object>(), blobs = Array.Empty<object>() };
                return new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(inventory) };
            default:
                return new HttpResponseMessage(HttpStatusCode.NotFound);
        }
    }
}
