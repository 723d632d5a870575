using System.Net.Http.Headers;
using Microsoft.Extensions.Options;

namespace Platform.Residency.Regions;

/// <summary>Requests to a region's storage (its internal API) with residency's storage credential.</summary>
internal static class RegionalStorageClient
{
    public static HttpRequestMessage Request(HttpMethod method, RegionOptions region, string path, IOptions<ResidencyOptions> options, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, new Uri(new Uri(region.StorageEndpoint.TrimEnd('/') + "/"), path)) { Content = content };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.Value.StorageToken);
        return request;
    }

    public static bool IsUnreachable(Exception exception, CancellationToken cancellationToken) =>
        exception is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException
            or Polly.Timeout.TimeoutRejectedException or Polly.CircuitBreaker.BrokenCircuitException && !cancellationToken.IsCancellationRequested;
}
