using Platform.Hosting.Testing;

namespace Platform.Bench.AuditThroughput;

internal static class Requests
{
    public static async Task SendAsync(TestingApplication app, string marker, int count)
    {
        using var client = app.CreateHttpClient("gateway");
        await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 32 }, async (n, ct) =>
        {
            using var response = await client.GetAsync($"{marker}/{n}", ct);
        });
    }
}
