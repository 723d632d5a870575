using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Platform.Bench;
using Platform.Bench.GatewayKeys;
using Platform.Hosting.Testing;

// Gateway requests/s with API-key verification (cache hit) ÷ the same gateway with the route open, in one run;
// the gateway's CPU microseconds per request on each route (their difference is the cost of verification); and
// how long a revocation takes to reach both gateway replicas.
// Usage: dotnet run -c Release --project bench/GatewayKeys [-- seconds [NAME=VALUE ...]]  (NAME=VALUE: extra gateway environment, for A/B runs)
var seconds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 8;

var upstreamBuilder = WebApplication.CreateSlimBuilder();
upstreamBuilder.Logging.ClearProviders();
upstreamBuilder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
upstreamBuilder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
await using var upstream = upstreamBuilder.Build();
upstream.Run(context => context.Response.WriteAsync("ok"));
await upstream.StartAsync();

await using var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
app.KeepOnly("gateway");
app.WithReplicas("gateway", 2);
app.WithEnvironment("gateway", "ReverseProxy__Clusters__product__Destinations__primary__Address", upstream.Urls.First());
foreach (var (route, path, permission) in new[] { ("open", "/v1/open/{**rest}", (string?)null), ("datasets", "/v1/datasets/{**rest}", "dataset") })
{
    app.WithEnvironment("gateway", $"ReverseProxy__Routes__{route}__ClusterId", "product");
    app.WithEnvironment("gateway", $"ReverseProxy__Routes__{route}__Match__Path", path);
    if (permission is not null) app.WithEnvironment("gateway", $"ReverseProxy__Routes__{route}__Metadata__Permission", permission);
    if (permission is not null) app.WithEnvironment("gateway", $"ReverseProxy__Routes__{route}__Metadata__Levels", "full,read_only");
}

foreach (var setting in args.Skip(1).Select(a => a.Split('=', 2)).Where(p => p.Length == 2)) app.WithEnvironment("gateway", setting[0], setting[1]);
await app.StartAsync();
// The keys administrator on the keys service's own endpoint: the gateway refuses operator tokens.
using var admin = app.CreateHttpClient("keys", "http");
admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("keys-admin-token"));

async Task<(string Id, string Key)> CreateKeyAsync()
{
    using var created = await admin.PostAsJsonAsync("/v1/organizations/org_bench/keys", new { name = "bench", environment = "live", scopes = new[] { new { permission = "dataset", level = "read_only" } } });
    var body = await created.Content.ReadFromJsonAsync<JsonElement>();
    return (body.GetProperty("id").GetString()!, body.GetProperty("key").GetString()!);
}

var (_, key) = await CreateKeyAsync();
var gatewayPid = await ResourceProcess.ProcessIdAsync(app, "gateway", replica: 0);
var open = await Load.RunAsync(app, "/v1/open/x", null, TimeSpan.FromSeconds(seconds), gatewayPid);
var keyed = await Load.RunAsync(app, "/v1/datasets/x", key, TimeSpan.FromSeconds(seconds), gatewayPid);
Console.WriteLine($"open route:      {open.RequestsPerSecond,8:N0} req/s, gateway CPU {open.CpuMicrosecondsPerRequest,6:0.0} µs/request ({open.Failures} failures)");
Console.WriteLine($"API-key route:   {keyed.RequestsPerSecond,8:N0} req/s, gateway CPU {keyed.CpuMicrosecondsPerRequest,6:0.0} µs/request ({keyed.Failures} failures)");
Console.WriteLine($"keyed / open = {keyed.RequestsPerSecond / open.RequestsPerSecond:0.00} (target >= 0.9)");
Console.WriteLine($"verification on the hot path (cache hit): {await VerificationCost.MeasureMicrosecondsAsync(app, key):0.00} µs CPU each (target <= 20)");

var propagation = new List<double>();
for (var i = 0; i < 5; i++) propagation.Add(await Revocation.MeasureAsync(app, admin, await CreateKeyAsync()));
propagation.Sort();
Console.WriteLine($"revocation reaches both replicas in: median {propagation[2]:0} ms, max {propagation[^1]:0} ms (target <= 1000 ms)");
