using Microsoft.Extensions.Hosting;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Platform.ServiceDefaults.Tests.Infrastructure;

/// <summary>
/// The three client registrations as a Platform service writes them, Aspire's integration and then the start-up check
/// of its connection string, by the name a theory row uses.
/// </summary>
public static class ClientKind
{
    public const string Postgres = "postgres";
    public const string Redis = "redis";
    public const string RabbitMQ = "rabbitmq";

    public static void Add(IHostApplicationBuilder builder, string client, string connectionName)
    {
        switch (client)
        {
            case Postgres:
                builder.AddNpgsqlDataSource(connectionName);
                builder.RequireConnectionString<NpgsqlDataSource>(connectionName);
                break;
            case Redis:
                builder.AddRedisClient(connectionName);
                builder.RequireConnectionString<IConnectionMultiplexer>(connectionName);
                break;
            case RabbitMQ:
                builder.AddRabbitMQClient(connectionName);
                builder.RequireConnectionString<IConnection>(connectionName);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(client), client, "Unknown client.");
        }
    }

    /// <summary>The type a service would take in its constructor for this client.</summary>
    public static Type ServiceType(string client) => client switch
    {
        Postgres => typeof(NpgsqlDataSource),
        Redis => typeof(IConnectionMultiplexer),
        RabbitMQ => typeof(IConnection),
        _ => throw new ArgumentOutOfRangeException(nameof(client), client, "Unknown client."),
    };
}
