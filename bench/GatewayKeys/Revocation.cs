using System.Diagnostics;
using System.Net;
using Platform.Hosting.Testing;

namespace Platform.Bench.GatewayKeys;

internal static class Revocation
{
    /// <summary>Milliseconds from the revoke answer until both replicas refuse the (cached) key.</summary>
    public static async Task<double> MeasureAsync(TestingApplication app, HttpClient admin, (string Id, string Key) key)
    {
        using var first = app.CreateHttpClient("gateway", replica: 0);
        using var second = app.CreateHttpClient("gateway", replica: 1);
        foreach (var client in new[] { first, second })
        {
            client.DefaultRequestHeaders.Add("X-Api-Key", key.Key);
            (await client.GetAsync("/v1/datasets/x")).Dispose();
        }

        (await admin.PostAsync($"/v1/organizations/org_bench/keys/{key.Id}/revoke", null)).Dispose();
        var stopwatch = Stopwatch.StartNew();
        foreach (var client in new[] { first, second })
        {
            while (stopwatch.Elapsed < TimeSpan.FromSeconds(30))
            {
                using var response = await client.GetAsync("/v1/datasets/x");
                if (response.StatusCode == HttpStatusCode.Unauthorized) break;
                await Task.Delay(5);
            }
        }

        return stopwatch.Elapsed.TotalMilliseconds;
    }
}
