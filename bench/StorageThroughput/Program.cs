using System.Diagnostics;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Platform.Bench;
using Platform.Bench.GatewayEdge;
using Platform.Bench.StorageThroughput;
using Platform.Hosting.Testing;

// Upload and download MB/s through the storage service over HTTP for 64 KiB, 16 MiB and 1 GiB objects, divided by raw
// AES-256-GCM on 64 KiB segments in the same run on this machine; the service's peak RSS for a 4 GiB object; transit
// encrypt operations/s for 1 KiB payloads; 64 KiB uploads by 1 and 16 writers at once beside the same objects written as
// files with fsync on the same disk (the disk's own limit). The service runs as its own process against the harness's PostgreSQL and
// RabbitMQ. Usage: dotnet run -c Release --project bench/StorageThroughput [-- largeGiB | small]
// ("small": only the small uploads by 1, 16 and 64 writers beside the peer, with where the CPU goes per upload).
var smallOnly = args is ["small", ..];
var largeGiB = !smallOnly && args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 4;
const double MB = 1_000_000;

var raw = RawAesGcm(1L << 30);
Console.WriteLine($"raw AES-256-GCM, 64 KiB segments, one core: encrypt {raw.Encrypt / MB:N0} MB/s, decrypt {raw.Decrypt / MB:N0} MB/s");

await using var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
app.KeepOnly("storageusdb", "messaging");
await app.StartAsync();
await using var service = await StorageProcess.StartAsync(app.GetConnectionString("storageusdb"), app.GetConnectionString("messaging"));
// The audit service's stand-in: audit.recorded must reach a queue (MustBeRouted), and without one bound every audit row
// would stay in the outbox, retried with backoff (NO_ROUTE in the log), costing PostgreSQL work production never does.
await using var auditQueue = await EventTap.StartAsync(app.GetConnectionString("messaging"), "audit.recorded", "audit.batch-recorded");

await using var database = Npgsql.NpgsqlDataSource.Create(app.GetConnectionString("storageusdb"));
var organization = "org_bench" + Guid.NewGuid().ToString("N")[..12];
using var client = new HttpClient(new GatewaySigningHandler(StorageProcess.GatewaySigningKey)) { BaseAddress = service.Address, Timeout = TimeSpan.FromMinutes(30) };
client.DefaultRequestHeaders.Add("X-Platform-Organization", organization);
client.DefaultRequestHeaders.Add("X-Platform-Key-Id", "key_bench");
client.DefaultRequestHeaders.Add("X-Platform-Environment", "live");
client.DefaultRequestHeaders.Add("X-Platform-Scopes", "dataset:full");
var created = await client.PostAsJsonAsync($"/v1/organizations/{organization}/datasets", new { name = "bench" });
if (!created.IsSuccessStatusCode) throw new InvalidOperationException($"create dataset: {(int)created.StatusCode} {await created.Content.ReadAsStringAsync()}");
var dataset = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("id").GetString()!;

await RefusalsAsync();

foreach (var (label, size, count) in smallOnly ? [] : new[] { ("64 KiB", 64L << 10, 300), ("16 MiB", 16L << 20, 12), ("1 GiB", 1L << 30, 1) })
{
    await UploadAsync(size, "warm");
    var up = Stopwatch.StartNew();
    for (var i = 0; i < count; i++) await UploadAsync(size, $"o{i}");
    up.Stop();
    var upload = size * count / up.Elapsed.TotalSeconds;
    var down = Stopwatch.StartNew();
    for (var i = 0; i < count; i++) await DownloadAsync(size, $"o{i}");
    var download = size * count / down.Elapsed.TotalSeconds;
    Console.WriteLine($"{label,-7} x{count,-4} upload {upload / MB,7:N0} MB/s ({upload / raw.Encrypt:0.00} of raw encrypt)   download {download / MB,7:N0} MB/s ({download / raw.Decrypt:0.00} of raw decrypt)"
        + $"   per object: upload {up.Elapsed.TotalMilliseconds / count:0.00} ms, download {down.Elapsed.TotalMilliseconds / count:0.00} ms, raw AES-GCM {size / raw.Encrypt * 1000:0.000} ms");
    if (size < 1L << 30) continue;
    // Where a large upload's time goes (issue 20): the parts measured apart in the same minute. They overlap in the
    // service (encryption, the writes and the kernel's writeback run while the body arrives), so the rest is a bound.
    var (write, fsync) = FilePeer.LargeFile(service.BlobRoot + $"-large-{Guid.NewGuid():n}", size);
    var total = size / upload;
    Console.WriteLine($"    parts of the {label} upload ({total:0.00} s): AES-GCM alone {size / raw.Encrypt:0.00} s; the file alone (1 MiB writes, writeback every 8 MiB) {write:0.00} s"
        + $" + final fsync {fsync:0.00} s; the rest (HTTP body, copies, row, not overlapped) {Math.Max(0, total - Math.Max(size / raw.Encrypt, write) - fsync):0.00} s");
}

// Many small uploads at once (issue 20 item 3: each durable when acknowledged, throughput growing with concurrency),
// beside the disk's own limit for the same objects as plain files with fsync (no encryption, no database), with the CPU
// each spends per object: storage by kind of thread, PostgreSQL, RabbitMQ (the outbox's events), the bench's client.
await UploadAsync(64 << 10, "warm-small");
foreach (var writers in new[] { 1, 16, 64 })
{
    var transactionsBefore = await TransactionsAsync();
    var before = CpuTime.Descendants();
    var threadsBefore = CpuTime.ByThread(service.Id);
    var selfBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var (rate, uploads) = await ConcurrentUploadsAsync(64 << 10, writers, TimeSpan.FromSeconds(10));
    var self = (Process.GetCurrentProcess().TotalProcessorTime - selfBefore).TotalSeconds;
    var components = CpuTime.UsedByComponent(before, CpuTime.Descendants(), new HashSet<int> { service.Id });
    var threads = CpuTime.ByThread(service.Id);
    // A backend reports its counts at most every second: wait for them, then read.
    await Task.Delay(TimeSpan.FromSeconds(1.5));
    var transactionsAfter = await TransactionsAsync();
    var transactions = (Commits: transactionsAfter.Commits - transactionsBefore.Commits, Changed: transactionsAfter.Changed - transactionsBefore.Changed);
    var peerBefore = Process.GetCurrentProcess().TotalProcessorTime;
    var files = FilePeer.FilesPerSecond(service.BlobRoot + $"-peer-{Guid.NewGuid():n}", 64 << 10, writers, TimeSpan.FromSeconds(10), out var written);
    var peerCpu = (Process.GetCurrentProcess().TotalProcessorTime - peerBefore).TotalSeconds;
    Console.WriteLine($"64 KiB, {writers,2} at once: storage {rate,6:N0} uploads/s   peer (files + fsync, same disk) {files,6:N0} files/s   ratio {rate / files:0.00}   (target: storage ≥ 1,000/s)");
    string Micro(double seconds, long count) => $"{seconds / Math.Max(count, 1) * 1e6:N0} µs";
    var storageCpu = threads.Sum(t => t.Value - threadsBefore.GetValueOrDefault(t.Key));
    Console.WriteLine($"    CPU per upload: storage {Micro(storageCpu, uploads)} ("
        + string.Join(", ", threads.Select(t => (t.Key, Seconds: t.Value - threadsBefore.GetValueOrDefault(t.Key))).Where(t => t.Seconds > 0).OrderByDescending(t => t.Seconds).Select(t => $"{t.Key} {Micro(t.Seconds, uploads)}"))
        + $"); {string.Join(", ", components.Where(c => c.Value > 0.005).OrderByDescending(c => c.Value).Select(c => $"{c.Key} {Micro(c.Value, uploads)}"))}; bench client {Micro(self, uploads)}"
        + $"   peer: {Micro(peerCpu, written)} per file");
    Console.WriteLine($"    PostgreSQL per upload: {transactions.Commits / (double)Math.Max(uploads, 1):0.00} transactions, {transactions.Changed / (double)Math.Max(uploads, 1):0.00} rows inserted or updated");
}

if (smallOnly) return;
service.ResetPeak();
var large = (long)largeGiB << 30;
var clock = Stopwatch.StartNew();
await UploadAsync(large, "large");
var largeUp = clock.Elapsed;
await DownloadAsync(large, "large");
Console.WriteLine($"{largeGiB} GiB object: upload {largeUp.TotalSeconds:0.0} s, download {(clock.Elapsed - largeUp).TotalSeconds:0.0} s; service peak RSS {service.PeakRssBytes() / (1 << 20):N0} MiB (target: flat, under 200 MB)");

using var transit = new HttpClient(new SocketsHttpHandler()) { BaseAddress = service.Address };
transit.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", StorageProcess.ServiceToken);
var payload = new { plaintext = Convert.ToBase64String(RandomNumberGenerator.GetBytes(1024)), context = new { bench = "1" } };
(await transit.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", payload)).EnsureSuccessStatusCode();
long operations = 0;
var transitClock = Stopwatch.StartNew();
await Task.WhenAll(Enumerable.Range(0, 16).Select(async _ =>
{
    while (transitClock.Elapsed < TimeSpan.FromSeconds(10))
    {
        (await transit.PostAsJsonAsync($"/internal/v1/transit/{organization}/encrypt", payload)).EnsureSuccessStatusCode();
        Interlocked.Increment(ref operations);
    }
}));
Console.WriteLine($"transit encrypt, 1 KiB, 16 concurrent callers: {operations / transitClock.Elapsed.TotalSeconds:N0} ops/s (each counted against the key version's usage bound in PostgreSQL)");

// storagedb's committed transactions and rows written (pg_stat_database), for statements per upload independent of the load.
async Task<(long Commits, long Changed)> TransactionsAsync()
{
    await using (var clear = database.CreateCommand("SELECT pg_stat_clear_snapshot()")) await clear.ExecuteNonQueryAsync();
    await using var read = database.CreateCommand("SELECT xact_commit, tup_inserted + tup_updated FROM pg_stat_database WHERE datname = current_database()");
    await using var reader = await read.ExecuteReaderAsync();
    await reader.ReadAsync();
    return (reader.GetInt64(0), reader.GetInt64(1));
}

async Task UploadAsync(long size, string name)
{
    var content = new StreamContent(new Pattern(size), 64 * 1024);
    content.Headers.ContentLength = size;
    var response = await client.PutAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/{name}?dataClass=artifact", content);
    if (!response.IsSuccessStatusCode) throw new InvalidOperationException($"upload {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync()}");
}

async Task<(double Rate, long Uploads)> ConcurrentUploadsAsync(long size, int writers, TimeSpan duration)
{
    long done = 0;
    var clock = Stopwatch.StartNew();
    await Task.WhenAll(Enumerable.Range(0, writers).Select(async writer =>
    {
        for (var n = 0; clock.Elapsed < duration; n++)
        {
            await UploadAsync(size, $"c{writers}-{writer}-{n}");
            Interlocked.Increment(ref done);
        }
    }));
    return (done / clock.Elapsed.TotalSeconds, done);
}

// Bad input stays refused, and stores nothing, before anything is measured: headers without the gateway's signature,
// another organization's dataset, an unknown data class.
async Task RefusalsAsync()
{
    using var unsigned = new HttpClient { BaseAddress = service.Address };
    foreach (var header in client.DefaultRequestHeaders) unsigned.DefaultRequestHeaders.TryAddWithoutValidation(header.Key, header.Value);
    await RefusedAsync(unsigned, $"/v1/organizations/{organization}/datasets/{dataset}/objects/refused?dataClass=artifact", 401);
    var other = "org_bench" + Guid.NewGuid().ToString("N")[..12];
    await RefusedAsync(client, $"/v1/organizations/{other}/datasets/{dataset}/objects/refused?dataClass=artifact", 403, 404);
    await RefusedAsync(client, $"/v1/organizations/{organization}/datasets/{dataset}/objects/refused?dataClass=secrets", 400);
    var listed = await client.GetFromJsonAsync<JsonElement>($"/v1/organizations/{organization}/datasets/{dataset}/objects");
    if (listed.GetProperty("items").GetArrayLength() != 0) throw new InvalidOperationException("A refused upload stored an object.");
    Console.WriteLine("refused before measuring: unsigned gateway headers (401), another organization's dataset, an unknown data class (400); nothing stored");
}

static async Task RefusedAsync(HttpClient caller, string path, params int[] expected)
{
    var content = new ByteArrayContent(new byte[1024]);
    var response = await caller.PutAsync(path, content);
    if (!expected.Contains((int)response.StatusCode)) throw new InvalidOperationException($"PUT {path}: {(int)response.StatusCode}, expected {string.Join(" or ", expected)}");
}

async Task DownloadAsync(long size, string name)
{
    using var response = await client.GetAsync($"/v1/organizations/{organization}/datasets/{dataset}/objects/{name}", HttpCompletionOption.ResponseHeadersRead);
    response.EnsureSuccessStatusCode();
    await using var body = await response.Content.ReadAsStreamAsync();
    var buffer = new byte[256 * 1024];
    long total = 0;
    int read;
    while ((read = await body.ReadAsync(buffer)) > 0) total += read;
    if (total != size) throw new InvalidOperationException($"download {name}: {total} of {size} bytes");
}

static (double Encrypt, double Decrypt) RawAesGcm(long bytes)
{
    const int Segment = 64 * 1024;
    using var aes = new AesGcm(RandomNumberGenerator.GetBytes(32), 16);
    var plaintext = RandomNumberGenerator.GetBytes(Segment);
    var ciphertext = new byte[Segment];
    var tag = new byte[16];
    var nonce = new byte[12];
    var segments = bytes / Segment;
    var clock = Stopwatch.StartNew();
    for (long i = 0; i < segments; i++)
    {
        System.Buffers.Binary.BinaryPrimitives.WriteInt64BigEndian(nonce.AsSpan(4), i);
        aes.Encrypt(nonce, plaintext, ciphertext, tag);
    }

    var encrypt = bytes / clock.Elapsed.TotalSeconds;
    clock.Restart();
    for (long i = 0; i < segments; i++) aes.Decrypt(nonce, ciphertext, tag, plaintext);
    return (encrypt, bytes / clock.Elapsed.TotalSeconds);
}
