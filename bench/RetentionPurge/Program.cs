using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using Platform.Bench;
using Platform.Hosting.Testing;

// Purge (issue 16 item 2): N expired objects (default 100,000) of S bytes (default 1 KiB), class image (the default
// plan's zero retention: expired a grace period after upload), laid straight into storage-us's database and blob root
// as storage stores them, and into retention's tracked_objects as retention records them from object.stored, stored a
// day ago. Retention's purge scheduler (every 200 ms here, `Retention__Purge__Interval`) finds them, asks storage by
// purge.requested in batches of `Retention__Purge__BatchSize` (200, as deployed), storage deletes rows and blobs and
// answers, retention stores a signed receipt per item and an audit entry (the audit service runs). Printed: objects
// deleted per second, receipts per second, the time until storage holds none of them and until every receipt is stored,
// and the CPU seconds retention and storage-us spent. Baseline in the same run: plain DELETEs of as many rows of
// another organization — one DELETE … RETURNING, then the blob files removed, the least any deletion does.
// Usage: dotnet run -c Release --project bench/RetentionPurge [-- objects bytes batch]
var objects = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 100_000;
var size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1024;
var batch = args.Length > 2 ? args[2] : "200";

await using var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
app.KeepOnly("retention", "audit");
app.WithEnvironment("retention", "Retention__Purge__Interval", "00:00:00.2");
app.WithEnvironment("retention", "Retention__Purge__BatchSize", batch);
await app.StartAsync();

var usRoot = Path.Combine(app.StateDirectory, "storage-us", "blobs", "us");
var storageDb = app.GetConnectionString("storageusdb")!;
var retentionDb = app.GetConnectionString("retentiondb")!;
var retentionPid = await ResourceProcess.ProcessIdAsync(app, "retention");
var storagePid = await ResourceProcess.ProcessIdAsync(app, "storage-us");
var auditPid = await ResourceProcess.ProcessIdAsync(app, "audit");

// Baseline: plain DELETEs of the same number of rows, and their blob files.
var (baselineOrganization, _) = await LayAsync("org_benchraw", track: false);
var raw = Stopwatch.StartNew();
var blobs = new List<string>();
await using (var connection = new NpgsqlConnection(storageDb))
{
    await connection.OpenAsync();
    await using var delete = new NpgsqlCommand("DELETE FROM objects WHERE organization_id = $1 RETURNING blob_key", connection);
    delete.Parameters.Add(new() { Value = baselineOrganization });
    await using var reader = await delete.ExecuteReaderAsync();
    while (await reader.ReadAsync()) blobs.Add(reader.GetString(0));
}

foreach (var blob in blobs) File.Delete(Path.Combine(usRoot, blob));
raw.Stop();
Console.WriteLine($"baseline, plain DELETE: {blobs.Count:N0} rows and blobs in {raw.Elapsed.TotalSeconds:0.00} s, {blobs.Count / raw.Elapsed.TotalSeconds:N0} objects/s");

// The purge: from the moment the expired items are visible to retention until every receipt is stored.
var (organization, dataset) = await LayAsync("org_benchpurge", track: true);
var cpuBefore = (Retention: Cpu(retentionPid), Storage: Cpu(storagePid), Audit: Cpu(auditPid));
var clock = Stopwatch.StartNew();
await using (var tracked = NpgsqlDataSource.Create(retentionDb))
await using (var storage = NpgsqlDataSource.Create(storageDb))
{
    await using (var publish = tracked.CreateCommand("UPDATE tracked_objects SET stored_at = now() - interval '1 day' WHERE organization_id = $1"))
    {
        publish.Parameters.Add(new() { Value = organization });
        await publish.ExecuteNonQueryAsync();
    }

    TimeSpan? empty = null;
    var progress = Stopwatch.StartNew();
    while (true)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(30)) throw new TimeoutException("The purge did not finish within 30 minutes.");
        await Task.Delay(100);
        var left = await CountAsync(storage, "SELECT count(*) FROM objects WHERE organization_id = $1", organization);
        if (left == 0 && empty is null) empty = clock.Elapsed;
        var receipts = await CountAsync(tracked, "SELECT count(*) FROM purge_receipts WHERE organization_id = $1", organization);
        if (progress.Elapsed > TimeSpan.FromSeconds(10))
        {
            Console.WriteLine($"  {clock.Elapsed.TotalSeconds:0} s: {objects - left:N0} deleted, {receipts:N0} receipts");
            progress.Restart();
        }

        if (receipts == objects && empty is not null)
        {
            clock.Stop();
            var cpu = (Retention: Cpu(retentionPid) - cpuBefore.Retention, Storage: Cpu(storagePid) - cpuBefore.Storage, Audit: Cpu(auditPid) - cpuBefore.Audit);
            var files = Directory.Exists(Path.Combine(usRoot, organization, dataset)) ? Directory.EnumerateFiles(Path.Combine(usRoot, organization, dataset)).Count() : 0;
            if (files != 0) throw new InvalidOperationException($"{files} blob files are left.");
            Console.WriteLine($"purge: {objects:N0} objects deleted in {empty.Value.TotalSeconds:0.00} s ({objects / empty.Value.TotalSeconds:N0} objects/s; "
                + $"{objects / empty.Value.TotalSeconds / (blobs.Count / raw.Elapsed.TotalSeconds):0.000} of the plain DELETE's rate)");
            Console.WriteLine($"       every signed receipt stored after {clock.Elapsed.TotalSeconds:0.00} s ({objects / clock.Elapsed.TotalSeconds:N0} receipts/s)");
            Console.WriteLine($"       CPU: retention {cpu.Retention:0.0} s ({cpu.Retention / objects * 1e6:0} µs per item), storage-us {cpu.Storage:0.0} s ({cpu.Storage / objects * 1e6:0} µs per item), "
                + $"audit {cpu.Audit:0.0} s ({cpu.Audit / objects * 1e6:0} µs per item, its entries written as they come)");
            break;
        }
    }
}

static double Cpu(int pid) => ProcessTree.Read(pid)?.CpuSeconds ?? 0;

static async Task<long> CountAsync(NpgsqlDataSource dataSource, string sql, string organization)
{
    await using var command = dataSource.CreateCommand(sql);
    command.Parameters.Add(new() { Value = organization });
    return (long)(await command.ExecuteScalarAsync())!;
}

async Task<(string Organization, string Dataset)> LayAsync(string prefix, bool track)
{
    var organization = prefix + Guid.NewGuid().ToString("N")[..12];
    var dataset = $"ds_us_{Guid.CreateVersion7():N}";
    var lay = Stopwatch.StartNew();
    List<string> ids;
    await using (var connection = new NpgsqlConnection(storageDb))
    {
        await connection.OpenAsync();
        ids = await StoredObjects.LayAsync(connection, usRoot, organization, dataset, objects, size);
    }

    if (track)
    {
        // As retention records them from object.stored; stored "in the future" until the purge starts, so no pass takes
        // them while they are being laid.
        await using var connection = new NpgsqlConnection(retentionDb);
        await connection.OpenAsync();
        await using var writer = await connection.BeginBinaryImportAsync(
            "COPY tracked_objects (object_id, organization_id, dataset_id, data_class, stored_at, stored_by) FROM STDIN (FORMAT BINARY)");
        foreach (var id in ids)
        {
            await writer.StartRowAsync();
            await writer.WriteAsync(id);
            await writer.WriteAsync(organization);
            await writer.WriteAsync(dataset);
            await writer.WriteAsync("image");
            await writer.WriteAsync(DateTimeOffset.UtcNow.AddDays(1), NpgsqlDbType.TimestampTz);
            await writer.WriteAsync("bench");
        }

        await writer.CompleteAsync();
    }

    Console.WriteLine($"laid {objects:N0} objects of {size:N0} bytes for {organization} in {lay.Elapsed.TotalSeconds:0.0} s");
    return (organization, dataset);
}
