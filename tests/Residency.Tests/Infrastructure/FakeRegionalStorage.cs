using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;

namespace Platform.Residency.Tests.Infrastructure;

/// <summary>
/// Every region's storage as residency calls it (<c>GET /internal/v1/organizations/{org}/datasets</c> at the region's
/// endpoint, <c>http://storage-&lt;region&gt;.test</c>), answering from what a test registered; a region can be made
/// unreachable. The real storages answer end to end in Platform.IntegrationTests.
/// </summary>
public sealed class FakeRegionalStorage : HttpMessageHandler
{
    private readonly ConcurrentDictionary<(string Region, string Organization), ConcurrentBag<string>> datasets = new();

    public ConcurrentQueue<HttpRequestMessage> Requests { get; } = new();

    public ConcurrentDictionary<string, bool> Down { get; } = new();

    public void AddDataset(string region, string organization, string dataset) => datasets.GetOrAdd((region, organization), _ => []).Add(dataset);

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        var region = request.RequestUri!.Host.Split('.')[0]["storage-".Length..];
        if (Down.ContainsKey(region)) return Task.FromResult(new HttpResponseMessage(HttpStatusCode.ServiceUnavailable));
        var parts = request.RequestUri.AbsolutePath.Split('/', StringSplitOptions.RemoveEmptyEntries);
        if (parts is not ["internal", "v1", "organizations", var organization, "datasets"]) return Task.FromResult(new HttpResponseMessage(HttpStatusCode.NotFound));
        var items = datasets.TryGetValue((region, organization), out var held) ? held.Order(StringComparer.Ordinal).Select(id => new { id, organizationId = organization, environment = "live" }) : [];
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK) { Content = JsonContent.Create(new { items, next = (string?)null }) });
    }
}
