using System.Diagnostics;
using Platform.Hosting.Testing;

namespace Platform.Bench.GatewayKeys;

internal sealed record LoadResult(double RequestsPerSecond, double CpuMicrosecondsPerRequest, long Failures);

internal static class Load
{
    private const int Connections = 32;

    /// <summary>Closed-loop load on replica 0 for a while, after a warm-up; CPU from /proc/&lt;pid&gt;/stat.</summary>
    public static async Task<LoadResult> RunAsync(TestingApplication app, string path, string? key, TimeSpan duration, int gatewayPid)
    {
        using var client = app.CreateHttpClient("gateway", replica: 0, handler: WithConnections(app));
        if (key is not null) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        await RunForAsync(client, path, TimeSpan.FromSeconds(2));
        var cpuBefore = CpuTicks(gatewayPid);
        var stopwatch = Stopwatch.StartNew();
        var (ok, failed) = await RunForAsync(client, path, duration);
        var elapsed = stopwatch.Elapsed.TotalSeconds;
        var cpuSeconds = (CpuTicks(gatewayPid) - cpuBefore) / 100.0;
        return new LoadResult(ok / elapsed, cpuSeconds * 1e6 / Math.Max(ok, 1), failed);
    }

    private static SocketsHttpHandler WithConnections(TestingApplication app)
    {
        var handler = app.CreateHandler("gateway");
        handler.MaxConnectionsPerServer = Connections;
        return handler;
    }

    private static async Task<(long Ok, long Failed)> RunForAsync(HttpClient client, string path, TimeSpan duration)
    {
        long ok = 0, failed = 0;
        using var stop = new CancellationTokenSource(duration);
        await Task.WhenAll(Enumerable.Range(0, Connections).Select(async _ =>
        {
            while (!stop.IsCancellationRequested)
            {
                try
                {
                    using var response = await client.GetAsync(path, CancellationToken.None); // read whole, so the connection is reused
                    if (response.IsSuccessStatusCode) Interlocked.Increment(ref ok); else Interlocked.Increment(ref failed);
                }
                catch (HttpRequestException)
                {
                    Interlocked.Increment(ref failed);
                }
            }
        }));
        return (ok, failed);
    }

    /// <summary>utime + stime of a process, in clock ticks (100 per second on Linux).</summary>
    private static long CpuTicks(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
    }
}
