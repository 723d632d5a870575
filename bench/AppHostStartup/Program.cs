using System.Diagnostics;
using Platform.Bench.AppHostStartup;

// AppHost start-up until every resource is healthy: once cold (no state folder: initdb, first RabbitMQ boot,
// new certificate) and then warm (same state folder), several times. Packages are installed beforehand.
// Usage: dotnet run -c Release --project bench/AppHostStartup [-- warm-runs]
var warmRuns = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
var appHost = StartupRun.FindAppHost();
var state = Path.Combine(Path.GetTempPath(), $"apphost-bench-{Guid.NewGuid():n}");
try
{
    Console.WriteLine($"AppHost: {appHost}");
    Console.WriteLine("(priming: installs missing packages, not timed)");
    await StartupRun.TimeAsync(appHost, state + "-prime");
    Directory.Delete(state + "-prime", recursive: true);

    var cold = await StartupRun.TimeAsync(appHost, state);
    Console.WriteLine($"cold start: {cold.TotalSeconds,6:0.00} s");
    var warm = new List<double>();
    for (var i = 0; i < warmRuns; i++)
    {
        var elapsed = await StartupRun.TimeAsync(appHost, state);
        warm.Add(elapsed.TotalSeconds);
        Console.WriteLine($"warm start: {elapsed.TotalSeconds,6:0.00} s");
    }

    warm.Sort();
    Console.WriteLine($"warm median {warm[warm.Count / 2]:0.00} s (target <= 15 s); cold / warm = {cold.TotalSeconds / warm[warm.Count / 2]:0.00}");
}
finally
{
    if (Directory.Exists(state)) Directory.Delete(state, recursive: true);
}
