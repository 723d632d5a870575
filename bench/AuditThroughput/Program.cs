using System.Diagnostics;
using Npgsql;
using Platform.Bench;
using Platform.Bench.AuditThroughput;
using Platform.Hosting.Testing;

// Audit events per second from the gateway's publish to the stored row, next to raw RabbitMQ publishing with
// confirms, in one run on this machine. The gateway's spool is filled while RabbitMQ is stopped, then RabbitMQ
// starts and the drain is timed by the rows' own received_at stamps (first to last stored row), so HTTP speed
// does not limit the figure. Usage: dotnet run -c Release --project bench/AuditThroughput [-- events]
// Every stored event is a leaf of its organization's Merkle log (the chain is always on since schema step 2).
// "-- bundle [entries]": platformctl's bundle download and offline verification of a 1,000,000-entry log (BundleBench).
if (args is ["bundle", ..])
{
    await BundleBench.RunAsync(args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 1_000_000);
    return;
}

var events = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 20_000;

await using var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
app.KeepOnly("gateway");
await app.StartAsync();

var raw = await RawPublish.MeasureAsync(app.GetConnectionString("messaging"), events, payloadBytes: 600);
Console.WriteLine($"raw RabbitMQ publish with confirms: {raw:N0} msg/s ({events:N0} x 600 B, pipelined on one channel)");

await app.StopResourceAsync("messaging");
var marker = $"/bench-{Guid.NewGuid():n}";
var sent = Stopwatch.StartNew();
await Requests.SendAsync(app, marker, events);
Console.WriteLine($"requests through the gateway (spooled, RabbitMQ stopped): {events / sent.Elapsed.TotalSeconds:N0} req/s");
await app.StartResourceAsync("messaging");

await using var db = NpgsqlDataSource.Create(app.GetConnectionString("auditdb"));
var deadline = Stopwatch.StartNew();
long stored = 0;
while (deadline.Elapsed < TimeSpan.FromMinutes(5))
{
    await using var count = db.CreateCommand("SELECT count(*) FROM audit_events WHERE target LIKE $1");
    count.Parameters.Add(new NpgsqlParameter { Value = marker + "/%" });
    stored = (long)(await count.ExecuteScalarAsync())!;
    if (stored >= events) break;
    await Task.Delay(250);
}

await using var span = db.CreateCommand("SELECT extract(epoch FROM max(received_at) - min(received_at)) FROM audit_events WHERE target LIKE $1");
span.Parameters.Add(new NpgsqlParameter { Value = marker + "/%" });
var seconds = Convert.ToDouble(await span.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
var endToEnd = stored / Math.Max(seconds, 0.001);
Console.WriteLine($"stored {stored:N0} of {events:N0} (lost {events - stored:N0}); gateway publish -> stored row: {endToEnd:N0} events/s over {seconds:0.00} s");
Console.WriteLine($"end-to-end / raw publish = {endToEnd / raw:0.00} (target: >= 20,000 events/s stored, zero lost)");
