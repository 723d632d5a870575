using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Messaging;
using RabbitMQ.Client;

namespace Platform.Bench.EventBus;

/// <summary>The three measurements. Every phase publishes into the same durable quorum queue, purged in between.</summary>
internal sealed class Phases(BenchServers servers, int messages, int payloadBytes)
{
    private const string Exchange = "platform.events";
    private const int Window = 256;
    private const int BatchSize = 1000;

    public async Task<Measurement> RawConfirmsAsync(CancellationToken cancellationToken)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(servers.Rabbit) }.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(
            new CreateChannelOptions(true, true, new ThrottlingRateLimiter(Window * 2)), cancellationToken);
        await servers.DeclareSinkAsync(channel, cancellationToken);
        var body = new byte[payloadBytes];
        Random.Shared.NextBytes(body);

        var watch = Stopwatch.StartNew();
        var inFlight = new Queue<ValueTask>(Window);
        for (var i = 0; i < messages; i++)
        {
            if (inFlight.Count == Window)
            {
                await inFlight.Dequeue();
            }

            var properties = new BasicProperties { MessageId = i.ToString(System.Globalization.CultureInfo.InvariantCulture), DeliveryMode = DeliveryModes.Persistent };
            inFlight.Enqueue(channel.BasicPublishAsync(Exchange, BenchEvent.RoutingKey, false, properties, body, cancellationToken));
        }

        while (inFlight.Count > 0)
        {
            await inFlight.Dequeue();
        }

        var elapsed = watch.Elapsed;
        await channel.QueuePurgeAsync(BenchServers.SinkQueue, cancellationToken);
        return new Measurement(messages, elapsed, $"; window {Window}");
    }

    public async Task<Measurement> EventPublisherAsync(CancellationToken cancellationToken)
    {
        using var host = servers.BuildHost("bench-publisher", database: null, outbox: false);
        await host.StartAsync(cancellationToken);
        var publisher = host.Services.GetRequiredService<IEventPublisher>();
        await publisher.PublishAsync(Events(100), cancellationToken); // warm-up: connection, channel, JIT

        var batches = Enumerable.Range(0, (messages + BatchSize - 1) / BatchSize)
            .Select(i => Events(Math.Min(BatchSize, messages - (i * BatchSize))))
            .ToList();
        var watch = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            await publisher.PublishAsync(batch, cancellationToken);
        }

        var elapsed = watch.Elapsed;
        await host.StopAsync(cancellationToken);
        await servers.PurgeSinkAsync(cancellationToken);
        return new Measurement(messages, elapsed, $"; batches of {BatchSize}");
    }

    public async Task<Measurement> OutboxRelayAsync(CancellationToken cancellationToken)
    {
        var database = await servers.CreateDatabaseAsync(cancellationToken);
        using var host = servers.BuildHost("bench-outbox", database, outbox: true);
        await host.StartAsync(cancellationToken);
        var dataSource = host.Services.GetRequiredService<NpgsqlDataSource>();
        var outbox = host.Services.GetRequiredService<IOutbox>();

        var watch = Stopwatch.StartNew();
        for (var written = 0; written < messages; written += BatchSize)
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            await outbox.EnqueueAsync(Events(Math.Min(BatchSize, messages - written)), transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
        }

        var committed = watch.Elapsed;
        while (await BenchServers.UnsentAsync(dataSource, cancellationToken) > 0)
        {
            await Task.Delay(20, cancellationToken);
        }

        var elapsed = watch.Elapsed;
        await host.StopAsync(cancellationToken);
        await servers.PurgeSinkAsync(cancellationToken);
        return new Measurement(messages, elapsed, $"; committing took {committed.TotalSeconds:0.00} s in transactions of {BatchSize}");
    }

    private List<IntegrationEvent> Events(int count) =>
        [.. Enumerable.Range(0, count).Select(_ => new BenchEvent { Payload = new string('p', payloadBytes) })];
}
