using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.Messaging;
using RabbitMQ.Client;

namespace Platform.Bench.EventBus;

/// <summary>The servers under test and what the phases need from them: service hosts, databases, the sink queue.</summary>
internal sealed class BenchServers(string postgres, string rabbit)
{
    public const string SinkQueue = "bench-sink";
    private const string Exchange = "platform.events";

    public string Rabbit { get; } = rabbit;

    public IHost BuildHost(string service, string? database, bool outbox)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = service });
        builder.Services.AddSingleton<IHostLifetime, NoSignalLifetime>();
        // Messaging__Outbox__BatchSize=500 and the like tune a run without a rebuild.
        builder.Configuration.AddEnvironmentVariables();
        builder.Configuration["ConnectionStrings:messaging"] = Rabbit;
        if (database is not null)
        {
            builder.Configuration["ConnectionStrings:db"] = database;
            builder.AddNpgsqlDataSource("db");
        }

        var bus = builder.AddEventBus("messaging", service);
        if (outbox)
        {
            bus.AddOutbox();
        }

        return builder.Build();
    }

    public async Task<string> CreateDatabaseAsync(CancellationToken cancellationToken)
    {
        var name = $"bench_{Guid.NewGuid():n}"[..16];
        await using (var admin = new NpgsqlConnection(postgres))
        {
            await admin.OpenAsync(cancellationToken);
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(postgres) { Database = name }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await MessagingSchema.ApplyAsync(dataSource, cancellationToken);
        return connectionString;
    }

    public static async Task<long> UnsentAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    public async Task DeclareSinkAsync(IChannel channel, CancellationToken cancellationToken)
    {
        await channel.ExchangeDeclareAsync(Exchange, ExchangeType.Topic, durable: true, cancellationToken: cancellationToken);
        await channel.QueueDeclareAsync(SinkQueue, durable: true, exclusive: false, autoDelete: false,
            arguments: new Dictionary<string, object?> { ["x-queue-type"] = "quorum" }, cancellationToken: cancellationToken);
        await channel.QueueBindAsync(SinkQueue, Exchange, BenchEvent.RoutingKey, cancellationToken: cancellationToken);
    }

    public async Task PurgeSinkAsync(CancellationToken cancellationToken)
    {
        await using var connection = await new ConnectionFactory { Uri = new Uri(Rabbit) }.CreateConnectionAsync(cancellationToken);
        await using var channel = await connection.CreateChannelAsync(cancellationToken: cancellationToken);
        await channel.QueuePurgeAsync(SinkQueue, cancellationToken);
    }
}
