using System.Diagnostics;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using OtpNet;
using Platform.Bench;
using Platform.Hosting.Testing;

// The console's keys page for an organization with 1,000 keys (the page shows the newest 100, as the keys API pages
// them), time to first byte and full load, p50/p99 under 20 concurrent users, beside the console's static stylesheet
// from the same server in the same run, both through the gateway over HTTPS.
// Usage: dotnet run -c Release --project bench/ConsolePages [-- seconds]
var seconds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20;
const int users = 20;
const string password = "correct horse battery staple 42";
var mail = Directory.CreateTempSubdirectory("console-bench-mail-").FullName;

await using var app = await TestingApplication.CreateAsync([.. BenchArguments.Quiet, $"--Platform:GatewayPort={Platform.AppHost.Servers.Ports.Free()}"]);
app.WithEnvironment("identity", "Identity__Mail__Folder", mail);
app.WithEnvironment("gateway", "Gateway__RateLimits__Anonymous__Requests", "10000000");
// The measured load, not the rate limits: pages are anonymous to the gateway (the console's cookie is no credential of
// its), and the console's API calls carry one user's token.
foreach (var limit in new[] { "Key", "Organization" })
{
    app.WithEnvironment("gateway", $"Gateway__RateLimits__Plans__standard__{limit}__Requests", "10000000");
    app.WithEnvironment("gateway", $"Gateway__RateLimits__Plans__standard__{limit}__WindowSeconds", "60");
}
await app.StartAsync();

// An Owner with TOTP, signed in to the console after a step-up (the keys page needs one within 15 minutes).
var cookies = new CookieContainer();
var handler = app.CreateHandler("gateway");
handler.CookieContainer = cookies;
handler.MaxAutomaticRedirections = 20;
using var browser = app.CreateHttpClient("gateway", handler: handler);
var email = $"bench-{Guid.NewGuid():n}@example.com";
(await browser.PostAsJsonAsync("/v1/accounts", new { email, password })).EnsureSuccessStatusCode();
string? code = null;
for (var i = 0; i < 150 && code is null; i++)
{
    await Task.Delay(100);
    code = Directory.GetFiles(mail, "*.eml").Select(File.ReadAllText).Where(t => t.Contains(email, StringComparison.Ordinal)).Select(BrowserForms.CodeIn).FirstOrDefault();
}

(await browser.PostAsJsonAsync("/v1/accounts/verify-email", new { token = code })).EnsureSuccessStatusCode();
(await browser.PostAsJsonAsync("/v1/session", new { email, password })).EnsureSuccessStatusCode();
var created = await browser.PostAsJsonAsync("/v1/organizations", new { name = "Bench" });
var org = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;
var begin = await (await browser.PostAsync("/v1/me/mfa/totp", null)).Content.ReadFromJsonAsync<JsonElement>();
var secret = Base32Encoding.ToBytes(begin.GetProperty("manualKey").GetString()!);
var confirm = await (await browser.PostAsJsonAsync("/v1/me/mfa/totp/confirm", new { code = new Totp(secret).ComputeTotp(DateTime.UtcNow) })).Content.ReadFromJsonAsync<JsonElement>();
(await browser.PostAsJsonAsync("/v1/session/mfa", new { recoveryCode = confirm.GetProperty("recoveryCodes")[0].GetString() })).EnsureSuccessStatusCode();

// 1,000 keys through the keys administrator on the keys service's own endpoint (the setup, not what is measured).
using var admin = app.CreateHttpClient("keys", "http");
admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("keys-admin-token"));
await Parallel.ForAsync(0, 1000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, _) =>
    (await admin.PostAsJsonAsync($"/v1/organizations/{org}/keys", new { name = $"key {i}", environment = "live", scopes = new[] { new { permission = "dataset", level = "read_only" } } })).EnsureSuccessStatusCode());

var keysPath = $"/console/o/{org}/keys";
using (var first = await browser.GetAsync($"/console/reauth?returnUrl={Uri.EscapeDataString(keysPath)}"))
{
    var html = await first.Content.ReadAsStringAsync();
    if (first.StatusCode != HttpStatusCode.OK || first.RequestMessage!.RequestUri!.AbsolutePath != keysPath) throw new InvalidOperationException($"Not on the keys page: {(int)first.StatusCode} {first.RequestMessage!.RequestUri}");
    Console.WriteLine($"keys page: {html.Length:N0} bytes, {html.Split("<tr data-id=").Length - 1} keys shown of 1,000");
}

var session = cookies.GetAllCookies().Single(c => c.Name == "__Host-console");
var clients = Enumerable.Range(0, users).Select(_ =>
{
    var client = app.CreateHttpClient("gateway", handler: app.CreateHandler("gateway"));
    client.DefaultRequestHeaders.Add("Cookie", $"{session.Name}={session.Value}");
    return client;
}).ToList();

foreach (var (name, path) in new[] { ("static stylesheet", "/console/static/console.css"), ("keys page", keysPath), ("static stylesheet", "/console/static/console.css") })
{
    await RunAsync(clients, path, TimeSpan.FromSeconds(2)); // warm-up
    var (ttfb, full, failures, rate) = await RunAsync(clients, path, TimeSpan.FromSeconds(seconds));
    Console.WriteLine($"{name,-18} {rate,7:N1} req/s  TTFB p50 {P(ttfb, 0.5),7:0.0} ms p99 {P(ttfb, 0.99),7:0.0} ms  full p50 {P(full, 0.5),7:0.0} ms p99 {P(full, 0.99),7:0.0} ms  ({failures} failures, {users} users)");
}

Directory.Delete(mail, recursive: true);
return 0;

static double P(List<double> values, double q) => values.Count == 0 ? double.NaN : values.Order().ElementAt(Math.Min(values.Count - 1, (int)Math.Ceiling(q * values.Count) - 1));

static async Task<(List<double> Ttfb, List<double> Full, int Failures, double Rate)> RunAsync(List<HttpClient> clients, string path, TimeSpan duration)
{
    var ttfb = new List<double>();
    var full = new List<double>();
    var failures = 0;
    var until = Stopwatch.StartNew();
    await Task.WhenAll(clients.Select(async client =>
    {
        while (until.Elapsed < duration)
        {
            var watch = Stopwatch.StartNew();
            using var response = await client.GetAsync(path, HttpCompletionOption.ResponseHeadersRead);
            var first = watch.Elapsed.TotalMilliseconds;
            await response.Content.ReadAsByteArrayAsync();
            var all = watch.Elapsed.TotalMilliseconds;
            lock (ttfb)
            {
                if (response.StatusCode != HttpStatusCode.OK) failures++;
                else { ttfb.Add(first); full.Add(all); }
            }
        }
    }));
    return (ttfb, full, failures, (ttfb.Count + failures) / until.Elapsed.TotalSeconds);
}
