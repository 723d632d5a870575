using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Platform.Hosting.Testing;

namespace Platform.IntegrationTests;

/// <summary>Requests through the gateway under a marker path, and the check that each reached the audit log exactly once.</summary>
internal static class HttpRequestAudit
{
    public static async Task<ConcurrentBag<string>> SendAsync(this TestingApplication app, string marker, int count)
    {
        var ids = new ConcurrentBag<string>();
        using var client = app.CreateHttpClient("gateway");
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (n, ct) =>
        {
            using var response = await client.GetAsync($"{marker}/{n}", ct);
            Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
            ids.Add(response.Headers.GetValues("X-Request-Id").Single());
        });
        return ids;
    }

    public static async Task AssertAuditedExactlyOnceAsync(this TestingApplication app, string marker, DateTimeOffset since, IReadOnlyCollection<string> ids)
    {
        using var client = app.AuditReader();
        var deadline = DateTimeOffset.UtcNow.AddSeconds(90);
        List<JsonElement> entries;
        do
        {
            entries = await ReadAllAsync(client, since, marker);
            if (entries.Count >= ids.Count) break;
            await Task.Delay(500);
        }
        while (DateTimeOffset.UtcNow < deadline);

        Assert.Equal(ids.Count, entries.Count);
        Assert.Equal(ids.Order(), entries.Select(e => e.GetProperty("requestId").GetString()!).Order());
        var first = entries[0];
        Assert.Equal("http.request", first.GetProperty("action").GetString());
        Assert.Equal("127.0.0.1", first.GetProperty("ip").GetString());
        Assert.Equal("404", first.GetProperty("details").GetProperty("status").GetString());
        Assert.Equal("GET", first.GetProperty("details").GetProperty("method").GetString());
        Assert.True(double.Parse(first.GetProperty("details").GetProperty("latencyMs").GetString()!, System.Globalization.CultureInfo.InvariantCulture) >= 0);
    }

    /// <summary>Every entry since <paramref name="since"/> for paths under <paramref name="marker"/>, following cursors.</summary>
    private static async Task<List<JsonElement>> ReadAllAsync(HttpClient client, DateTimeOffset since, string marker)
    {
        var entries = new List<JsonElement>();
        string? cursor = null;
        do
        {
            var url = $"/v1/audit/events?action=http.request&limit=500&from={Uri.EscapeDataString(since.ToString("O"))}" + (cursor is null ? "" : $"&cursor={cursor}");
            using var response = await client.GetAsync(url);
            response.EnsureSuccessStatusCode();
            var page = await response.Content.ReadFromJsonAsync<JsonElement>();
            entries.AddRange(page.GetProperty("items").EnumerateArray().Where(e => e.GetProperty("target").GetString()!.StartsWith(marker, StringComparison.Ordinal)));
            cursor = page.GetProperty("nextCursor").GetString();
        }
        while (cursor is not null);
        return entries;
    }
}
