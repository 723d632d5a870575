using System.Globalization;
using System.Net;
using Platform.Hosting.Testing;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// The cost of residency routing (issue 17's benchmark): one gateway, the same key, the same trivial upstream, an object
/// read of a pinned dataset (<c>…/datasets/ds_us_…/objects/…</c>) through the storage route with routing on (its cluster
/// routes by region: the region is read from the dataset id and only that region's destination stays available) and
/// through a copy of the route whose cluster has one destination and no routing. The upstream answers in microseconds,
/// so the ratio shows routing's cost on the gateway alone, not diluted by storage's decryption (a real read would
/// bring it closer to 1). Runs alternate on, off after a warm-up of each. Target: on ÷ off ≥ 0.95.
/// </summary>
internal static class RoutingCost
{
    public const string Argument = "routing";
    private const string Dataset = "ds_us_0123456789abcdef0123456789abcdef";

    public static async Task<int> RunAsync(string[] args)
    {
        var seconds = args.FirstOrDefault(a => int.TryParse(a, CultureInfo.InvariantCulture, out _)) is { } s ? int.Parse(s, CultureInfo.InvariantCulture) : 8;
        var measured = TimeSpan.FromSeconds(seconds);
        await Wrk.EnsureInstalledAsync();
        await using var upstream = await TrivialUpstream.StartAsync();
        var upstreamUrl = upstream.Urls.First();
        (string, string)[] settings =
        [
            // Routing on: the AppHost's storage route and cluster (RoutesByRegion), both regions' destinations the upstream.
            ("ReverseProxy__Clusters__storage__Destinations__us__Address", upstreamUrl),
            ("ReverseProxy__Clusters__storage__Destinations__eu__Address", upstreamUrl),
            // Routing off: the same route's requirements on a cluster with one destination and no routing.
            ("ReverseProxy__Clusters__plain__Destinations__primary__Address", upstreamUrl),
            ("ReverseProxy__Routes__storage-plain__ClusterId", "plain"),
            ("ReverseProxy__Routes__storage-plain__Match__Path", "/v1/plain/organizations/{organizationId}/datasets/{**rest}"),
            ("ReverseProxy__Routes__storage-plain__Metadata__Permission", "dataset"),
            ("ReverseProxy__Routes__storage-plain__Metadata__Levels", "full,read_only,labeler_only,restricted"),
        ];
        await using var gateway = await EdgeGateway.StartAsync(new Uri(upstreamUrl), settings);
        var key = await EdgeGateway.CreateKeyAsync(gateway);
        var pid = await ResourceProcess.ProcessIdAsync(gateway, "gateway");
        var address = gateway.GetEndpoint("gateway");
        var on = new Uri(address, $"/v1/organizations/org_bench/datasets/{Dataset}/objects/img/cat.png");
        var off = new Uri(address, $"/v1/plain/organizations/org_bench/datasets/{Dataset}/objects/img/cat.png");

        using (var check = gateway.CreateHttpClient("gateway", handler: new SocketsHttpHandler { SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true } }))
        {
            await EdgeGateway.CheckAsync(check, on, key);
            await EdgeGateway.CheckAsync(check, off, key);
            // Routing is really on: naming another region for this dataset is refused.
            using var wrong = new HttpRequestMessage(HttpMethod.Get, on);
            wrong.Headers.Add("X-Api-Key", key);
            wrong.Headers.Add("Platform-Region", "eu");
            using var refused = await check.SendAsync(wrong);
            if (refused.StatusCode != HttpStatusCode.MisdirectedRequest) throw new InvalidOperationException($"A request naming the wrong region got {(int)refused.StatusCode}, not 421.");
        }

        var script = Wrk.WriteScript(gateway.StateDirectory, key);
        var proxies = new HashSet<int> { pid };
        Console.WriteLine($"wrk: {Wrk.Saturating.Threads} threads, {Wrk.Saturating.Connections} connections, {seconds} s per run; object read of a pinned dataset through the gateway");
        foreach (var url in new[] { on, off }) await Wrk.RunAsync(url, script, TimeSpan.FromSeconds(10), pid, proxies);

        var results = new Dictionary<Uri, List<WrkResult>> { [on] = [], [off] = [] };
        for (var round = 1; round <= 3; round++)
        {
            foreach (var (name, url) in new[] { ("routing on ", on), ("routing off", off) })
            {
                await CpuTime.WaitForQuietAsync(proxies, TimeSpan.FromSeconds(15));
                var result = await Wrk.RunAsync(url, script, measured, pid, proxies);
                results[url].Add(result);
                Console.WriteLine($"  run {round} {name} {result.RequestsPerSecond,9:N0} req/s  p50 {result.P50Ms,6:0.00} ms  p99 {result.P99Ms,6:0.00} ms  gateway CPU {result.CpuMicrosecondsPerRequest,4:0} µs/req  errors {result.Errors}");
            }
        }

        var (onRps, offRps) = (results[on].Average(r => r.RequestsPerSecond), results[off].Average(r => r.RequestsPerSecond));
        var (onCpu, offCpu) = (results[on].Average(r => r.CpuMicrosecondsPerRequest), results[off].Average(r => r.CpuMicrosecondsPerRequest));
        Console.WriteLine();
        Console.WriteLine($"routing on:  {onRps,9:N0} req/s, gateway CPU {onCpu:0} µs/req");
        Console.WriteLine($"routing off: {offRps,9:N0} req/s, gateway CPU {offCpu:0} µs/req");
        Console.WriteLine($"on / off = {onRps / offRps:0.00} (target >= 0.95); routing's CPU per request: {onCpu - offCpu:0} µs");
        // On a shared machine requests/s swing with the neighbours' load; the gateway's CPU per request does not.
        Console.WriteLine($"on / off by the gateway's CPU per request (what a CPU-bound gateway can serve) = {offCpu / onCpu:0.00}");
        var errors = results.Values.SelectMany(r => r).Sum(r => r.Errors);
        if (errors > 0) Console.WriteLine($"{errors} requests failed or were refused: the figures above do not count.");
        return errors > 0 ? 1 : 0;
    }
}
