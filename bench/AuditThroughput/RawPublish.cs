using System.Diagnostics;
using RabbitMQ.Client;

namespace Platform.Bench.AuditThroughput;

internal static class RawPublish
{
    /// <summary>Persistent messages to a durable quorum queue, pipelined, every one confirmed.</summary>
    public static async Task<double> MeasureAsync(string connectionString, int count, int payloadBytes)
    {
        var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true, outstandingPublisherConfirmationsRateLimiter: null));
        var queue = $"bench-raw-{Guid.NewGuid():n}";
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false, arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" });
        var body = new byte[payloadBytes];
        var properties = new BasicProperties { Persistent = true, ContentType = "application/json" };
        var stopwatch = Stopwatch.StartNew();
        const int window = 1000;
        for (var start = 0; start < count; start += window)
        {
            var batch = Enumerable.Range(0, Math.Min(window, count - start))
                .Select(_ => channel.BasicPublishAsync("", queue, mandatory: false, properties, body).AsTask());
            await Task.WhenAll(batch);
        }

        var rate = count / stopwatch.Elapsed.TotalSeconds;
        await channel.QueueDeleteAsync(queue);
        return rate;
    }
}
