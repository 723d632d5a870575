using System.Globalization;
using Platform.Bench;
using Platform.Bench.GatewayEdge;

// Bare YARP vs the real gateway with every edge feature on, both over HTTPS on loopback, measured with wrk in one
// run (SPEC issue 6 benchmark): requests/s, p50 and p99 of each, the ratio gateway ÷ YARP (target >= 0.80) and the
// p99 the gateway adds (target <= 1 ms); beside them the peer (issue 20): bare nginx and nginx with its own edge
// features (TLS 1.3, a key map, limit_req, an allow list, an access log), to the same upstream, and nginx's own
// feature-cost ratio. Before anything is measured, the gateway must refuse a revoked key, an over-limit client, a
// bad signature and a disallowed address. Runs alternate a, b, c, d after a warm-up of each; then one run of each
// with a single connection, for the latency the gateway adds when no request waits for a core.
// Usage: dotnet run -c Release --project bench/GatewayEdge [-- [seconds] [NAME=VALUE ...]]
//        dotnet run -c Release --project bench/GatewayEdge -- routing [seconds]   (residency routing on ÷ off, issue 17)
//   seconds: per measured run (default 15); NAME=VALUE: extra gateway environment (rate limits, A/B switches).
if (args is [BareYarp.Argument, var upstreamAddress]) return await BareYarp.ServeAsync(upstreamAddress);
if (args is [RoutingCost.Argument, .. var rest]) return await RoutingCost.RunAsync(rest);
if (Environment.GetEnvironmentVariable(ChildProcess.ChildMarker) is not null)
{
    await Console.Error.WriteLineAsync($"Started as the bare-YARP child with unexpected arguments: {string.Join(' ', args)}");
    return 2;
}

var seconds = args.FirstOrDefault(a => int.TryParse(a, CultureInfo.InvariantCulture, out _)) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 15;
var settings = args.Select(a => a.Split('=', 2)).Where(p => p.Length == 2).Select(p => (p[0], p[1])).ToList();
var measured = TimeSpan.FromSeconds(seconds);
var warmUp = TimeSpan.FromSeconds(5);
var maxWarmUp = TimeSpan.FromSeconds(50);

await Wrk.EnsureInstalledAsync();
var nginxProgram = await Nginx.EnsureInstalledAsync();
await using var upstream = await TrivialUpstream.StartAsync();
var upstreamUrl = new Uri(upstream.Urls.First());
await using var yarp = await ChildProcess.StartBareYarpAsync(upstreamUrl);
await using var gateway = await EdgeGateway.StartAsync(upstreamUrl, settings);
var key = await EdgeGateway.CreateKeyAsync(gateway);
var gatewayPid = await ResourceProcess.ProcessIdAsync(gateway, "gateway");
await using var nginxBare = await Nginx.StartAsync(nginxProgram, Nginx.Kind.Bare, upstreamUrl, key);
await using var nginxEdge = await Nginx.StartAsync(nginxProgram, Nginx.Kind.Edge, upstreamUrl, key);

var targets = new[]
{
    new Target("a  bare YARP", new Uri(yarp.Address, EdgeGateway.Path), yarp.Id),
    new Target("b  gateway", new Uri(gateway.GetEndpoint("gateway"), EdgeGateway.Path), gatewayPid),
    new Target("c  bare nginx", new Uri(nginxBare.Address, EdgeGateway.Path), nginxBare.Id),
    new Target("d  nginx edge", new Uri(nginxEdge.Address, EdgeGateway.Path), nginxEdge.Id),
};
using (var check = gateway.CreateHttpClient("gateway", handler: new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }))
{
    foreach (var target in targets) await EdgeGateway.CheckAsync(check, target.Url, key);
    // Nothing here may weaken a check (issue 20): the refusals first, through the gateway as wrk will reach it.
    foreach (var refusal in await Refusals.CheckAsync(gateway, check, targets[1].Url)) Console.WriteLine($"  refused as it must be: {refusal}");
    await EdgeGateway.CheckAsync(check, targets[1].Url, key);
}

var script = Wrk.WriteScript(gateway.StateDirectory, key);
var proxies = targets.Select(t => t.Pid).Concat(nginxBare.Processes).Concat(nginxEdge.Processes).ToHashSet();
Console.WriteLine($"wrk: {Wrk.Saturating.Threads} threads, {Wrk.Saturating.Connections} connections, {seconds} s per run; gateway settings: {(settings.Count == 0 ? "defaults" : string.Join(' ', settings.Select(p => p.Item1)))}");

// Steady state, not start-up: warm each proxy up in steps of 5 s until the runtime has stopped re-compiling hot
// methods (tiered compilation with dynamic PGO runs instrumented code until then; on a busy 2-core machine that
// takes the gateway, with far more code on its path than bare YARP, up to a minute).
foreach (var target in targets)
{
    var started = System.Diagnostics.Stopwatch.StartNew();
    double compiling;
    do
    {
        var before = CpuTime.TieredCompilationSeconds(target.Pid);
        await Wrk.RunAsync(target.Url, script, warmUp, target.Pid, proxies);
        compiling = Math.Max(0, CpuTime.TieredCompilationSeconds(target.Pid) - before);
    }
    while (compiling > 0.05 && started.Elapsed < maxWarmUp);

    Console.WriteLine($"  warm-up {target.Name,-14} {started.Elapsed.TotalSeconds,3:0} s{(compiling > 0.05 ? $" (still compiling: {compiling:0.00} s CPU in the last {warmUp.TotalSeconds:0} s)" : "")}");
}

var idle = await Wrk.MeasureIdleAsync(proxies, TimeSpan.FromSeconds(10));
Console.WriteLine($"  the platform idle, CPU ms/s (subtracted from the rest below): {string.Join(", ", idle.Where(c => c.Value >= 0.0005).OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value * 1000:0}"))}");

var results = targets.ToDictionary(t => t, _ => new List<WrkResult>());
for (var round = 1; round <= 2; round++)
{
    foreach (var target in targets)
    {
        var settled = await CpuTime.WaitForQuietAsync(proxies, TimeSpan.FromSeconds(15));
        if (settled.TotalSeconds > 14) Console.WriteLine("  (the platform was still busy after 15 s: the audit pipeline is behind)");
        var result = await Wrk.RunAsync(target.Url, script, measured, target.Pid, proxies);
        results[target].Add(result);
        Console.WriteLine($"  run {round} {target.Name,-14} {result.RequestsPerSecond,9:N0} req/s  p50 {result.P50Ms,6:0.00} ms  p99 {result.P99Ms,6:0.00} ms  CPU µs/req: proxy {result.CpuMicrosecondsPerRequest,4:0}, rest of platform {result.RestMicrosecondsPerRequest,4:0}  errors {result.Errors}");
    }
}

// Latency without queueing: at 32 connections on 2 cores, p99 is mostly time spent waiting for a core, and the
// slower proxy waits longest. One request at a time shows what the gateway itself adds to each request.
var single = new Dictionary<Target, WrkResult>();
foreach (var target in targets)
{
    await CpuTime.WaitForQuietAsync(proxies, TimeSpan.FromSeconds(15));
    single[target] = await Wrk.RunAsync(target.Url, script, measured, target.Pid, proxies, Wrk.Single);
    Console.WriteLine($"  1 connection {target.Name,-14} {single[target].RequestsPerSecond,7:N0} req/s  p50 {single[target].P50Ms,6:0.00} ms  p99 {single[target].P99Ms,6:0.00} ms  errors {single[target].Errors}");
}

var (a, b, c, d) = (Summary(results[targets[0]]), Summary(results[targets[1]]), Summary(results[targets[2]]), Summary(results[targets[3]]));
Console.WriteLine();
Console.WriteLine($"(a) bare YARP:    {a.Rps,9:N0} req/s  p50 {a.P50,5:0.00} ms  p99 {a.P99,6:0.00} ms  (CPU µs/req: proxy {a.Cpu:0}, rest {a.Others:0})");
Console.WriteLine($"(b) gateway:      {b.Rps,9:N0} req/s  p50 {b.P50,5:0.00} ms  p99 {b.P99,6:0.00} ms  (CPU µs/req: proxy {b.Cpu:0}, rest {b.Others:0})");
Console.WriteLine($"(c) bare nginx:   {c.Rps,9:N0} req/s  p50 {c.P50,5:0.00} ms  p99 {c.P99,6:0.00} ms  (CPU µs/req: proxy {c.Cpu:0})");
Console.WriteLine($"(d) nginx edge:   {d.Rps,9:N0} req/s  p50 {d.P50,5:0.00} ms  p99 {d.P99,6:0.00} ms  (CPU µs/req: proxy {d.Cpu:0})");
Console.WriteLine($"    rest of the platform for (b), CPU µs/req: {string.Join(", ", results[targets[1]].SelectMany(r => r.RestByComponent).GroupBy(c => c.Key)
    .Select(g => (g.Key, Value: g.Average(c => c.Value))).Where(c => c.Value >= 0.5).OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value:0}"))}");
foreach (var target in targets)
{
    Console.WriteLine($"    {target.Name[3..]} CPU µs/req by thread: {string.Join(", ", results[target].SelectMany(r => r.ProxyByThread ?? new Dictionary<string, double>()).GroupBy(c => c.Key)
        .Select(g => (g.Key, Value: g.Sum(c => c.Value) / results[target].Count)).Where(c => c.Value >= 0.5).OrderByDescending(c => c.Value).Select(c => $"{c.Key} {c.Value:0}"))}");
}

Console.WriteLine($"b / a = {b.Rps / a.Rps:0.00} (target >= 0.80); p99 added = {b.P99 - a.P99:0.00} ms (target <= 1 ms)");
Console.WriteLine($"peer: d / c = {d.Rps / c.Rps:0.00} (nginx's own feature cost, local-only features); c / a = {c.Rps / a.Rps:0.00} (bare nginx ÷ bare YARP); b / c = {b.Rps / c.Rps:0.00}");
var (singleA, singleB) = (single[targets[0]], single[targets[1]]);
Console.WriteLine($"one connection: p50 added = {singleB.P50Ms - singleA.P50Ms:0.00} ms, p99 added = {singleB.P99Ms - singleA.P99Ms:0.00} ms (a: p99 {singleA.P99Ms:0.00} ms, b: p99 {singleB.P99Ms:0.00} ms)");
var errors = results.Values.SelectMany(r => r).Concat(single.Values).Sum(r => r.Errors);
if (errors > 0) Console.WriteLine($"{errors} requests failed or were refused: the figures above do not count.");
return errors > 0 ? 1 : 0;

// Means over the measured runs.
static (double Rps, double P50, double P99, double Cpu, double Others) Summary(List<WrkResult> runs) =>
    (runs.Average(r => r.RequestsPerSecond), runs.Average(r => r.P50Ms), runs.Average(r => r.P99Ms),
        runs.Average(r => r.CpuMicrosecondsPerRequest), runs.Average(r => r.RestMicrosecondsPerRequest));

internal sealed record Target(string Name, Uri Url, int Pid);
