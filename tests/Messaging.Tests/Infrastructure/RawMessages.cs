using System.Text;
using RabbitMQ.Client;

namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>Messages put on a queue by hand, the way a broken or foreign publisher would.</summary>
public static class RawMessages
{
    public static async Task SendToQueueAsync(Servers servers, string queue, string? messageId, string? type, byte[] body)
    {
        await using var connection = await servers.ConnectRabbitAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(true, true));
        var properties = new BasicProperties
        {
            MessageId = messageId,
            Type = type,
            ContentType = "application/json",
            DeliveryMode = DeliveryModes.Persistent,
        };
        // The default exchange routes by queue name: straight into the service's queue.
        await channel.BasicPublishAsync("", queue, mandatory: true, properties, body);
    }

    public static Task SendToQueueAsync(Servers servers, string queue, string? messageId, string? type, string body) =>
        SendToQueueAsync(servers, queue, messageId, type, Encoding.UTF8.GetBytes(body));

    public static async Task<uint> CountAsync(Servers servers, string queue)
    {
        await using var connection = await servers.ConnectRabbitAsync();
        await using var channel = await connection.CreateChannelAsync();
        return await channel.MessageCountAsync(queue);
    }
}
