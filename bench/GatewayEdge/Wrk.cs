using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Bench.GatewayEdge;

/// <param name="CpuMicrosecondsPerRequest">The proxy process's CPU per request.</param>
/// <param name="RestMicrosecondsPerRequest">
/// CPU per request of every other process the bench started but wrk and the proxies (upstream excluded: it runs in the
/// bench), from the start of the run until the platform is quiet again, so that the audit pipeline's catching up
/// counts: for the gateway, what Redis, RabbitMQ, the audit service, PostgreSQL and the keys service cost.
/// </param>
/// <param name="RestByComponent">The same, per component (redis, rabbitmq, postgres, audit, keys, …).</param>
/// <summary>wrk's threads and connections.</summary>
internal sealed record Load(int Threads, int Connections);

/// <param name="ProxyByThread">The proxy's CPU per request by kind of thread (thread pool, GC, JIT, socket events…; threads that ended during the run as "ended").</param>
internal sealed record WrkResult(
    double RequestsPerSecond, double P50Ms, double P99Ms, long Requests, long Errors, double CpuMicrosecondsPerRequest, double RestMicrosecondsPerRequest,
    IReadOnlyDictionary<string, double> RestByComponent, IReadOnlyDictionary<string, double>? ProxyByThread = null);

/// <summary>
/// Closed-loop HTTPS load with wrk (<c>--latency</c>); a Lua script sets the API key. Any non-2xx answer or socket
/// error is counted as an error: a proxy that refuses requests is not fast.
/// </summary>
internal static partial class Wrk
{
    /// <summary>Throughput: 2 threads, 32 connections, enough to keep both cores busy.</summary>
    public static readonly Load Saturating = new(2, 32);

    /// <summary>Latency: one connection, one request at a time, so that nothing waits in a queue.</summary>
    public static readonly Load Single = new(1, 1);

    public static async Task EnsureInstalledAsync()
    {
        if (File.Exists("/usr/bin/wrk") || File.Exists("/usr/local/bin/wrk")) return;
        Console.WriteLine("wrk is not installed; installing the Debian package with apt-get...");
        var install = new ProcessStartInfo("apt-get", ["install", "-y", "--no-install-recommends", "wrk"]) { UseShellExecute = false };
        install.Environment["DEBIAN_FRONTEND"] = "noninteractive";
        if (await RunAsync(install) != 0)
        {
            var update = new ProcessStartInfo("apt-get", ["update"]) { UseShellExecute = false };
            if (await RunAsync(update) != 0 || await RunAsync(install) != 0)
            {
                throw new InvalidOperationException("Installing wrk failed (apt-get install wrk, as root).");
            }
        }
    }

    /// <summary>A Lua script that sends the key on every request (and nothing else differs between targets).</summary>
    public static string WriteScript(string directory, string apiKey)
    {
        var path = Path.Combine(directory, "gateway-edge.lua");
        File.WriteAllText(path, $"wrk.headers[\"X-Api-Key\"] = \"{apiKey}\"\n");
        return path;
    }

    /// <summary>CPU seconds per second each component uses while idle (<see cref="MeasureIdleAsync"/>), subtracted from the rest.</summary>
    public static Dictionary<string, double>? Idle { get; private set; }

    /// <summary>The platform's own background CPU while no request is sent, per component, over <paramref name="duration"/>.</summary>
    public static async Task<Dictionary<string, double>> MeasureIdleAsync(IReadOnlySet<int> excluded, TimeSpan duration)
    {
        var before = CpuTime.Descendants();
        await Task.Delay(duration);
        Idle = CpuTime.UsedByComponent(before, CpuTime.Descendants(), excluded).ToDictionary(c => c.Key, c => c.Value / duration.TotalSeconds);
        return Idle;
    }

    /// <param name="proxies">Both proxies' processes: neither counts as the rest of the platform.</param>
    public static async Task<WrkResult> RunAsync(Uri url, string script, TimeSpan duration, int serverPid, IReadOnlySet<int> proxies, Load? load = null)
    {
        load ??= Saturating;
        var start = new ProcessStartInfo("wrk",
        [
            "-t", load.Threads.ToString(CultureInfo.InvariantCulture), "-c", load.Connections.ToString(CultureInfo.InvariantCulture),
            "-d", $"{(int)duration.TotalSeconds}s", "--latency", "-s", script, url.ToString(),
        ])
        { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
        var treeBefore = CpuTime.Descendants();
        var restClock = Stopwatch.StartNew();
        var cpuBefore = CpuTime.Seconds(serverPid);
        var threadsBefore = CpuTime.ByThread(serverPid);
        using var wrk = Process.Start(start) ?? throw new InvalidOperationException("wrk did not start.");
        var wrkPid = wrk.Id;
        var output = await wrk.StandardOutput.ReadToEndAsync();
        var errors = await wrk.StandardError.ReadToEndAsync();
        await wrk.WaitForExitAsync();
        var cpuSeconds = CpuTime.Seconds(serverPid) - cpuBefore;
        var threads = CpuTime.ByThread(serverPid).ToDictionary(t => t.Key, t => t.Value - threadsBefore.GetValueOrDefault(t.Key));
        var ended = cpuSeconds - threads.Values.Sum();
        if (ended > 0.005) threads["ended"] = ended;
        var excluded = new HashSet<int>(proxies) { wrkPid };
        await CpuTime.WaitForQuietAsync(excluded, TimeSpan.FromSeconds(15));
        var rest = CpuTime.UsedByComponent(treeBefore, CpuTime.Descendants(), excluded);
        // What the platform spends when nobody calls it (health checks, pollers, DCP) is not the request's cost.
        if (Idle is { } idle)
        {
            foreach (var component in rest.Keys.ToList()) rest[component] = Math.Max(0, rest[component] - idle.GetValueOrDefault(component) * restClock.Elapsed.TotalSeconds);
        }
        if (wrk.ExitCode != 0) throw new InvalidOperationException($"wrk failed ({wrk.ExitCode}): {errors}{output}");
        return Parse(output, cpuSeconds, rest, threads);
    }

    private static WrkResult Parse(string output, double cpuSeconds, Dictionary<string, double> rest, Dictionary<string, double> threads)
    {
        var rps = double.Parse(RequestsPerSecond().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var requests = long.Parse(Requests().Match(output).Groups[1].Value, CultureInfo.InvariantCulture);
        var non2xx = Non2xx().Match(output) is { Success: true } n ? long.Parse(n.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        var socket = SocketErrors().Match(output) is { Success: true } s
            ? s.Groups.Values.Skip(1).Sum(g => long.Parse(g.Value, CultureInfo.InvariantCulture))
            : 0;
        var perRequest = 1e6 / Math.Max(requests, 1);
        return new WrkResult(rps, Percentile(output, "50"), Percentile(output, "99"), requests, non2xx + socket,
            cpuSeconds * perRequest, rest.Values.Sum() * perRequest, rest.ToDictionary(c => c.Key, c => c.Value * perRequest),
            threads.ToDictionary(t => t.Key, t => t.Value * perRequest));
    }

    private static double Percentile(string output, string percent)
    {
        var match = Regex.Match(output, $@"^\s*{percent}(?:\.0+)?%\s+([\d.]+)(us|ms|s)\s*$", RegexOptions.Multiline);
        if (!match.Success) throw new InvalidOperationException($"No {percent}% latency in wrk's output:{Environment.NewLine}{output}");
        var value = double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture);
        return match.Groups[2].Value switch { "us" => value / 1000, "ms" => value, _ => value * 1000 };
    }

    private static async Task<int> RunAsync(ProcessStartInfo start)
    {
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{start.FileName} did not start.");
        await process.WaitForExitAsync();
        return process.ExitCode;
    }

    [GeneratedRegex(@"Requests/sec:\s+([\d.]+)")]
    private static partial Regex RequestsPerSecond();

    [GeneratedRegex(@"(\d+) requests in")]
    private static partial Regex Requests();

    [GeneratedRegex(@"Non-2xx or 3xx responses:\s+(\d+)")]
    private static partial Regex Non2xx();

    [GeneratedRegex(@"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")]
    private static partial Regex SocketErrors();
}
