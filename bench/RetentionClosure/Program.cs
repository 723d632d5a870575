using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;
using Platform.Bench;
using Platform.Hosting.Testing;

// Account closure (issue 16 item 5): time from the end of an organization's grace period to its final signed receipt,
// for an organization with N objects (default 10,000) of S bytes (default 4 KiB) in region us, laid straight into
// storage-us's database and blob root as storage stores them. The closure row is written into retention's database
// with its grace period already over (the API path, an Owner with a fresh second factor, is tested end to end in
// Platform.IntegrationTests); retention's scheduler looks every 200 ms, asks storage-us, storage-eu, keys and identity,
// and signs the receipt when all have answered. Baseline in the same run: storage's raw delete of the same number of
// objects of another organization — one DELETE … RETURNING of the rows and the blob files removed, the least work any
// deletion does. Usage: dotnet run -c Release --project bench/RetentionClosure [-- objects bytes]
var objects = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 10_000;
var size = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 4096;

await using var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
app.KeepOnly("retention", "keys");
app.WithEnvironment("retention", "Retention__Closure__Interval", "00:00:00.2");
await app.StartAsync();

var usRoot = Path.Combine(app.StateDirectory, "storage-us", "blobs", "us");
var storageDb = app.GetConnectionString("storageusdb")!;

// Baseline: the raw delete.
var (baselineOrganization, _) = await LayAsync("org_benchraw");
var raw = Stopwatch.StartNew();
var blobs = new List<string>();
await using (var connection = new NpgsqlConnection(storageDb))
{
    await connection.OpenAsync();
    await using var transaction = await connection.BeginTransactionAsync();
    await using (var delete = new NpgsqlCommand("DELETE FROM objects WHERE organization_id = $1 RETURNING blob_key", connection, transaction))
    {
        delete.Parameters.Add(new() { Value = baselineOrganization });
        await using var reader = await delete.ExecuteReaderAsync();
        while (await reader.ReadAsync()) blobs.Add(reader.GetString(0));
    }

    await transaction.CommitAsync();
}

foreach (var blob in blobs) File.Delete(Path.Combine(usRoot, blob));
raw.Stop();
Console.WriteLine($"storage raw delete: {blobs.Count:N0} objects in {raw.Elapsed.TotalSeconds:0.00} s, {blobs.Count / raw.Elapsed.TotalSeconds:N0} objects/s");

// Closure.
var (organization, dataset) = await LayAsync("org_benchclose");
var closureId = $"closure_{Guid.CreateVersion7():N}";
await using var retention = NpgsqlDataSource.Create(app.GetConnectionString("retentiondb")!);
var graceEnd = DateTimeOffset.UtcNow;
await using (var insert = retention.CreateCommand("""
    INSERT INTO organization_closures (id, organization_id, status, requested_at, requested_by, grace_ends_at) VALUES ($1, $2, 'pending', $3 - interval '30 days', 'bench', $3)
    """))
{
    insert.Parameters.Add(new() { Value = closureId });
    insert.Parameters.Add(new() { Value = organization });
    insert.Parameters.Add(new() { Value = graceEnd });
    await insert.ExecuteNonQueryAsync();
}

var clock = Stopwatch.StartNew();
string? receipt = null;
await using (var poll = retention.CreateCommand("SELECT receipt FROM organization_closures WHERE id = $1 AND status = 'closed'"))
{
    poll.Parameters.Add(new() { Value = closureId });
    while (receipt is null)
    {
        if (clock.Elapsed > TimeSpan.FromMinutes(10)) throw new TimeoutException("No receipt within 10 minutes.");
        await Task.Delay(20);
        receipt = await poll.ExecuteScalarAsync() as string;
    }
}

clock.Stop();
await using (var left = new NpgsqlConnection(storageDb))
{
    await left.OpenAsync();
    await using var count = new NpgsqlCommand("SELECT count(*) FROM objects WHERE organization_id = $1", left);
    count.Parameters.Add(new() { Value = organization });
    var remaining = (long)(await count.ExecuteScalarAsync())!;
    var files = Directory.Exists(Path.Combine(usRoot, organization, dataset)) ? Directory.EnumerateFiles(Path.Combine(usRoot, organization, dataset)).Count() : 0;
    if (remaining != 0 || files != 0) throw new InvalidOperationException($"{remaining} rows and {files} files are left.");
}

Console.WriteLine($"closure: grace end -> final signed receipt in {clock.Elapsed.TotalSeconds:0.00} s for {objects:N0} objects "
    + $"({objects / clock.Elapsed.TotalSeconds:N0} objects/s end to end; raw delete {raw.Elapsed.TotalSeconds:0.00} s); receipt {receipt.Length:N0} bytes");

async Task<(string Organization, string Dataset)> LayAsync(string prefix)
{
    var organization = prefix + Guid.NewGuid().ToString("N")[..12];
    var dataset = $"ds_us_{Guid.CreateVersion7():N}";
    var lay = Stopwatch.StartNew();
    await using var connection = new NpgsqlConnection(storageDb);
    await connection.OpenAsync();
    await StoredObjects.LayAsync(connection, usRoot, organization, dataset, objects, size);
    Console.WriteLine($"laid {objects:N0} objects of {size:N0} bytes for {organization} in {lay.Elapsed.TotalSeconds:0.0} s");
    return (organization, dataset);
}
