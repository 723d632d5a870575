using System.Globalization;
using Platform.Bench.AppHostStartup;

// Issue 13's benchmark: `dotnet run --project AppHost` (already built) until the AppHost says "Platform is ready" (every
// resource running and healthy) and the dashboard answers HTTP. Once cold (an empty state folder: initdb, a new
// RabbitMQ node), then warm several times on the same state folder; after the last warm start, the idle CPU and memory
// (PSS) of the AppHost, DCP and the dashboard (and, for scale, of the rest). Each run ends with SIGTERM to the AppHost,
// timed until nothing of it is left. Packages missing on the machine are installed during the cold run.
// Usage: dotnet run --project bench/AppHostStartup [-- [warm-runs] [idle-seconds]]   (defaults: 3 warm runs, 20 s idle)
var warmRuns = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 3;
var idle = TimeSpan.FromSeconds(args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 20);
var window = TimeSpan.FromSeconds(10);

var launch = AppHostLaunch.Find();
Console.WriteLine(launch.Describe());
var folder = Path.Combine(Path.GetTempPath(), $"apphost-bench-{Guid.NewGuid():n}"[..26]);
var state = Path.Combine(folder, "state");
Directory.CreateDirectory(folder);
try
{
    var cold = await RunAsync("cold (empty state folder)", 0, measureIdle: false);
    var warm = new List<StartupTimes>();
    var stops = new List<StopTimes> { cold.Stop };
    for (var i = 1; i <= warmRuns; i++)
    {
        var run = await RunAsync($"warm {i}", i, measureIdle: i == warmRuns);
        warm.Add(run.Times);
        stops.Add(run.Stop);
    }

    Console.WriteLine();
    if (warm.Count > 0)
    {
        var median = Median(warm.Select(w => w.Ready.TotalSeconds));
        Console.WriteLine($"warm start, median of {warm.Count}: {median:0.0} s (target <= 10 s){(median <= 10 ? "" : "  -- over the target")}; " +
            $"AppHost's own figure {Median(warm.Select(w => w.AppHostSays)):0.0} s; dashboard answering at {Median(warm.Select(w => w.Dashboard.TotalSeconds)):0.0} s");
    }

    Console.WriteLine($"cold start: {cold.Times.Ready.TotalSeconds:0.0} s");
    Console.WriteLine($"stop (SIGTERM to the AppHost), median of {stops.Count}: AppHost exited in {Median(stops.Select(s => s.AppHostExited.TotalSeconds)):0.0} s, " +
        $"nothing left in {Median(stops.Select(s => s.AllGone.TotalSeconds)):0.0} s (max {stops.Max(s => s.AllGone.TotalSeconds):0.0} s)");
    var leftovers = stops.Sum(s => s.Left.Count);
    Console.WriteLine(leftovers == 0 ? "nothing was left running after any stop" : $"{leftovers} processes were still running a minute after SIGTERM (killed)");
    return leftovers == 0 ? 0 : 1;
}
finally
{
    Directory.Delete(folder, recursive: true);
}

async Task<(StartupTimes Times, StopTimes Stop)> RunAsync(string label, int number, bool measureIdle)
{
    if (AppHostLaunch.GatewayPortTaken() is { } taken) throw new InvalidOperationException(taken);
    await using var run = await StartupRun.StartAsync(launch, state, Path.Combine(folder, $"run-{number}.log"));
    var times = run.Times;
    Console.WriteLine($"{label,-27} ready in {times.Ready.TotalSeconds,5:0.0} s (\"Platform is ready\" at {times.Banner.TotalSeconds:0.0} s, " +
        $"the AppHost's own figure {times.AppHostSays:0.0} s; dashboard answered at {times.Dashboard.TotalSeconds:0.0} s)");
    if (measureIdle)
    {
        await Task.Delay(idle);
        var rows = await IdleUsage.MeasureAsync(run.DotnetRunPid, run.AppHostPid, window);
        Console.WriteLine($"  idle, {idle.TotalSeconds:0} s after ready, CPU over {window.TotalSeconds:0} s:");
        Console.WriteLine($"    {"processes",-40} {"count",5} {"CPU % of a core",16} {"PSS MB",8}");
        foreach (var row in rows) Console.WriteLine($"    {row.Group,-40} {row.Processes,5} {row.CpuPercent,16:0.0} {row.PssMegabytes,8:0}");
        var aspire = rows.Where(r => IdleUsage.AspireGroups.Contains(r.Group)).ToList();
        Console.WriteLine($"    {"Aspire's own (the four above)",-40} {aspire.Sum(r => r.Processes),5} {aspire.Sum(r => r.CpuPercent),16:0.0} {aspire.Sum(r => r.PssMegabytes),8:0}");
        Console.WriteLine($"    {"everything",-40} {rows.Sum(r => r.Processes),5} {rows.Sum(r => r.CpuPercent),16:0.0} {rows.Sum(r => r.PssMegabytes),8:0}");
    }

    var stop = await run.StopAsync();
    Console.WriteLine($"  stop: AppHost exited {stop.AppHostExited.TotalSeconds:0.0} s after SIGTERM, all {stop.Processes} processes gone after {stop.AllGone.TotalSeconds:0.0} s" +
        (stop.Left.Count == 0 ? "" : $"; still running after a minute (killed): {string.Join("; ", stop.Left)}"));
    return (times, stop);
}

static double Median(IEnumerable<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;
}
