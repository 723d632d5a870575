using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Bench;
using Platform.Hosting.Testing;

// Leak-scan time (issue 17): an organization with N objects (default 100,000) of S bytes (default 4 KiB) in region us,
// laid straight into storage-us's database and blob root as storage stores them, plus one planted copy in eu; then
// GET /v1/residency/scan with the operator's credential, as platformctl sends it: every region's storage reads its rows
// and hashes every file of the organization, residency compares and signs. The AppHost's storage-us, storage-eu and
// residency run as the platform runs them. Usage: dotnet run -c Release --project bench/ResidencyScan [-- objects bytes]
var objects = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4096;

await using var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
app.KeepOnly("residency");
await app.StartAsync();

var organization = "org_bench" + Guid.NewGuid().ToString("N")[..12];
var dataset = $"ds_us_{Guid.CreateVersion7():N}";
var usRoot = Path.Combine(app.StateDirectory, "storage-us", "blobs", "us");
var lay = Stopwatch.StartNew();
await using (var connection = new NpgsqlConnection(app.GetConnectionString("storageusdb")))
{
    await connection.OpenAsync();
    await StoredObjects.LayAsync(connection, usRoot, organization, dataset, objects, size);
}

// One leak: the last object's file copied under eu's blob root.
var sample = Directory.EnumerateFiles(Path.Combine(usRoot, organization, dataset)).First();
var leak = Path.Combine(app.StateDirectory, "storage-eu", "blobs", "eu", organization, "stash", "copy.bin");
Directory.CreateDirectory(Path.GetDirectoryName(leak)!);
File.Copy(sample, leak);
Console.WriteLine($"laid {objects:N0} objects of {size:N0} bytes ({(long)objects * size / 1_000_000:N0} MB) in {lay.Elapsed.TotalSeconds:0.0} s");

using var residency = new HttpClient { BaseAddress = app.GetEndpoint("residency", "http"), Timeout = TimeSpan.FromMinutes(30) };
residency.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", app.GetParameterValue("residency-operator-token"));
for (var run = 1; run <= 2; run++)
{
    // Run 1 reads the files from the page cache too (just written); run 2 is the steady state.
    var clock = Stopwatch.StartNew();
    using var answer = await residency.GetAsync($"/v1/residency/scan?organization={organization}");
    var note = await answer.Content.ReadAsStringAsync();
    clock.Stop();
    if (!answer.IsSuccessStatusCode) throw new InvalidOperationException($"scan: {(int)answer.StatusCode} {note}");
    var report = JsonDocument.Parse(note.Split('\n')[1]).RootElement;
    var us = report.GetProperty("regions").EnumerateArray().Single(r => r.GetProperty("region").GetString() == "us");
    Console.WriteLine($"scan {run}: {clock.Elapsed.TotalSeconds:0.00} s for {us.GetProperty("objects").GetInt32():N0} objects / {us.GetProperty("blobs").GetInt32():N0} files "
        + $"({us.GetProperty("blobBytes").GetInt64() / 1_000_000:N0} MB hashed), {objects / clock.Elapsed.TotalSeconds:N0} objects/s; "
        + $"leaks {report.GetProperty("leaks").GetArrayLength()}; signed report {note.Length / 1024:N0} KiB");
}
