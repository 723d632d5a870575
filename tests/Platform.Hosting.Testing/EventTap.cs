using System.Collections.Concurrent;
using System.Text;
using System.Text.Json;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace Platform.Hosting.Testing;

/// <summary>A private queue bound to <c>platform.events</c> for the routing patterns a test names: what other services would receive.</summary>
public sealed class EventTap : IAsyncDisposable
{
    private readonly ConcurrentQueue<(string RoutingKey, string Body)> received = new();
    private IConnection connection = null!;
    private IChannel channel = null!;

    public static async Task<EventTap> StartAsync(string connectionString, params string[] patterns)
    {
        var tap = new EventTap();
        tap.connection = await new ConnectionFactory { Uri = new Uri(connectionString) }.CreateConnectionAsync();
        tap.channel = await tap.connection.CreateChannelAsync();
        // The same declaration as the service's own (Messaging Topology): durable topic exchange, no arguments.
        await tap.channel.ExchangeDeclareAsync("platform.events", ExchangeType.Topic, durable: true, autoDelete: false);
        var queue = await tap.channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true);
        foreach (var pattern in patterns)
        {
            await tap.channel.QueueBindAsync(queue.QueueName, "platform.events", pattern);
        }

        var consumer = new AsyncEventingBasicConsumer(tap.channel);
        consumer.ReceivedAsync += (_, delivery) =>
        {
            tap.received.Enqueue((delivery.RoutingKey, Encoding.UTF8.GetString(delivery.Body.Span)));
            return Task.CompletedTask;
        };
        await tap.channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer);
        return tap;
    }

    public IReadOnlyList<(string RoutingKey, string Body)> All => [.. received];

    /// <summary>The first event with this routing key whose body satisfies <paramref name="match"/>, waiting up to 15 s.</summary>
    public async Task<JsonElement> WaitForAsync(string routingKey, Func<JsonElement, bool> match)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (elapsed.Elapsed < TimeSpan.FromSeconds(15))
        {
            foreach (var (key, body) in received)
            {
                if (key != routingKey) continue;
                var json = JsonDocument.Parse(body).RootElement;
                if (match(json)) return json;
            }

            await Task.Delay(50);
        }

        throw new TimeoutException($"No {routingKey} event arrived that matched; got {received.Count} events: {string.Join(", ", received.Select(r => r.RoutingKey))}.");
    }

    public async ValueTask DisposeAsync()
    {
        if (channel is not null) await channel.DisposeAsync();
        if (connection is not null) await connection.DisposeAsync();
    }
}
