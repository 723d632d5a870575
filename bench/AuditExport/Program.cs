using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Headers;
using Npgsql;
using NpgsqlTypes;
using Platform.Bench.AuditExport;
using Platform.Hosting.Testing;

// The audit service's export (issue 15 item 5): events per second and the service's peak RSS while it streams
// N events (default 1,000,000) of one organization as CSV and as NDJSON, beside PostgreSQL's own COPY … TO STDOUT of
// the same rows in the same run. The rows are put straight into auditdb with COPY first.
// Usage: dotnet run -c Release --project bench/AuditExport [-- events]
var events = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 1_000_000;
const string organization = "org_bench_export";

await using var servers = await TestServers.LeaseAsync();
await using var service = await AuditProcess.StartAsync(servers.GetConnectionString("auditdb"), servers.GetConnectionString("messaging"));
await using var db = NpgsqlDataSource.Create(servers.GetConnectionString("auditdb"));

var clock = Stopwatch.StartNew();
await InsertAsync(db, organization, events);
// Another organization's rows beside them, which the export must skip on its index.
await InsertAsync(db, "org_bench_other", events / 10);
await using (var analyze = db.CreateCommand("ANALYZE audit_events")) await analyze.ExecuteNonQueryAsync();
Console.WriteLine($"set-up: {events:N0} + {events / 10:N0} events copied into auditdb in {clock.Elapsed.TotalSeconds:0.0} s");

var (copyRows, copyBytes, copyTime) = await CopyOutAsync(db, organization);
Console.WriteLine($"baseline COPY (SELECT … ORDER BY occurred_at DESC, id DESC) TO STDOUT (FORMAT csv): {copyRows / copyTime.TotalSeconds:N0} rows/s ({copyRows:N0} rows, {copyBytes / 1e6:N0} MB in {copyTime.TotalSeconds:0.00} s)");

using var client = new HttpClient { BaseAddress = service.Address, Timeout = Timeout.InfiniteTimeSpan };
client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", AuditProcess.ReaderToken);
// Warm-up on the other organization (JIT, connection pool, the index's pages): not measured.
foreach (var format in new[] { "csv", "ndjson" }) await ExportAsync(client, "org_bench_other", format);

foreach (var format in new[] { "csv", "ndjson" })
{
    // Each export adds its own audit.exported entry to the organization's log: the next one has it too.
    await using var counted = db.CreateCommand("SELECT count(*) FROM audit_events WHERE organization_id = $1");
    counted.Parameters.Add(new NpgsqlParameter { Value = organization });
    var expected = (long)(await counted.ExecuteScalarAsync())!;
    var idle = service.RssBytes();
    service.ResetPeak();
    var (lines, bytes, time) = await ExportAsync(client, organization, format);
    var rows = format == "csv" ? lines - 1 : lines;
    Console.WriteLine($"export {format}: {rows / time.TotalSeconds:N0} events/s ({rows:N0} events, {bytes / 1e6:N0} MB in {time.TotalSeconds:0.00} s) = {rows / time.TotalSeconds / (copyRows / copyTime.TotalSeconds):0.00} of COPY; " +
        $"service RSS before {idle / (1 << 20):N0} MiB, peak during {service.PeakRssBytes() / (1 << 20):N0} MiB");
    if (rows != expected) Console.WriteLine($"  MISMATCH: exported {rows:N0} of {expected:N0}");
}

static async Task InsertAsync(NpgsqlDataSource db, string organization, int count)
{
    await using var connection = await db.OpenConnectionAsync();
    await using var writer = await connection.BeginBinaryImportAsync(
        "COPY audit_events (event_id, occurred_at, organization_id, actor, action, target, outcome, ip, request_id, user_agent, region, details, received_at) FROM STDIN (FORMAT binary)");
    var start = DateTimeOffset.UtcNow.AddDays(-1);
    for (var i = 0; i < count; i++)
    {
        var at = start.AddTicks(i * 10L);
        await writer.StartRowAsync();
        await writer.WriteAsync($"evt_{organization}_{i:D8}", NpgsqlDbType.Text);
        await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
        await writer.WriteAsync(organization, NpgsqlDbType.Text);
        await writer.WriteAsync($"usr_{i % 97:D4}", NpgsqlDbType.Text);
        await writer.WriteAsync("http.request", NpgsqlDbType.Text);
        await writer.WriteAsync($"/v1/organizations/{organization}/datasets/ds_{i % 1000}/objects/img/{i}.png", NpgsqlDbType.Text);
        await writer.WriteAsync("success", NpgsqlDbType.Text);
        await writer.WriteAsync($"203.0.113.{i % 250}", NpgsqlDbType.Text);
        await writer.WriteAsync($"req_{i:x32}", NpgsqlDbType.Text);
        await writer.WriteAsync("Mozilla/5.0 (X11; Linux x86_64) bench", NpgsqlDbType.Text);
        await writer.WriteAsync("eu", NpgsqlDbType.Text);
        await writer.WriteAsync("{\"method\":\"PUT\",\"status\":\"201\",\"latencyMs\":\"3.2\"}", NpgsqlDbType.Jsonb);
        await writer.WriteAsync(at, NpgsqlDbType.TimestampTz);
    }

    await writer.CompleteAsync();
}

static async Task<(long Rows, long Bytes, TimeSpan Time)> CopyOutAsync(NpgsqlDataSource db, string organization)
{
    await using var connection = await db.OpenConnectionAsync();
    var clock = Stopwatch.StartNew();
    using var reader = await connection.BeginTextExportAsync(
        $"COPY (SELECT id, event_id, occurred_at, organization_id, actor, action, target, outcome, ip, request_id, user_agent, region, details FROM audit_events WHERE organization_id = '{organization}' ORDER BY occurred_at DESC, id DESC) TO STDOUT (FORMAT csv)");
    var buffer = new char[64 * 1024];
    long rows = 0, chars = 0;
    int read;
    while ((read = await reader.ReadAsync(buffer)) > 0)
    {
        chars += read;
        rows += buffer.AsSpan(0, read).Count('\n');
    }

    return (rows, chars, clock.Elapsed);
}

static async Task<(long Lines, long Bytes, TimeSpan Time)> ExportAsync(HttpClient client, string organization, string format)
{
    var clock = Stopwatch.StartNew();
    using var response = await client.GetAsync($"/v1/audit/events/export?organization={organization}&format={format}", HttpCompletionOption.ResponseHeadersRead);
    response.EnsureSuccessStatusCode();
    await using var body = await response.Content.ReadAsStreamAsync();
    var buffer = new byte[64 * 1024];
    long lines = 0, bytes = 0;
    int read;
    while ((read = await body.ReadAsync(buffer)) > 0)
    {
        bytes += read;
        lines += buffer.AsSpan(0, read).Count((byte)'\n');
    }

    return (lines, bytes, clock.Elapsed);
}
