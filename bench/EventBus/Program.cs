using System.Globalization;
using Platform.Bench;
using Platform.Bench.EventBus;
using Platform.Hosting.Testing;

// Publishing throughput, in one run against real servers started by the test harness:
//   1. raw RabbitMQ.Client publishes with confirms, pipelined (the ceiling),
//   2. IEventPublisher batches (serialization, headers, confirm tracking),
//   3. the outbox relay: rows committed to PostgreSQL until every one is confirmed by RabbitMQ.
// Usage: dotnet run -c Release --project bench/EventBus [-- messages [payload-bytes]]
var messages = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 20_000;
var payloadBytes = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 1024;
// Bounded: every phase must finish within this, or the run stops with what it has.
using var deadline = new CancellationTokenSource(TimeSpan.FromMinutes(5));

Console.WriteLine($"Starting PostgreSQL and RabbitMQ ({messages:N0} messages of {payloadBytes:N0} bytes per phase)...");
await using var app = await TestingApplication.CreateAsync(BenchArguments.Quiet);
app.KeepOnly("postgres", "messaging");
await app.StartAsync(deadline.Token);

var bench = new Phases(new BenchServers(app.GetConnectionString("postgres"), app.GetConnectionString("messaging")), messages, payloadBytes);
var raw = await bench.RawConfirmsAsync(deadline.Token);
Report("raw RabbitMQ.Client, confirms, pipelined", raw, raw);
var publisher = await bench.EventPublisherAsync(deadline.Token);
Report("IEventPublisher.PublishAsync(batch)", publisher, raw);
var outbox = await bench.OutboxRelayAsync(deadline.Token);
Report("outbox: commit -> relay -> confirmed", outbox, raw);

void Report(string name, Measurement measurement, Measurement baseline) =>
    Console.WriteLine(
        $"{name,-42} {measurement.Count,8:N0} msgs in {measurement.Elapsed.TotalSeconds,6:0.00} s = {measurement.PerSecond,9:N0} msg/s" +
        $"  ({measurement.PerSecond / baseline.PerSecond:P0} of raw){measurement.Note}");
