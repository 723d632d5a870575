using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using RabbitMQ.Client;

namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>
/// A service host as a Platform service builds it (AddNpgsqlDataSource, AddEventBus), against the real servers,
/// with short retry delays so that failure paths finish within a test.
/// </summary>
public sealed class TestService : IAsyncDisposable
{
    private readonly Servers _servers;
    private readonly bool _deleteQueues;
    private bool _disposed;

    private TestService(Servers servers, IHost host, string name, CapturedLogs logs, bool deleteQueues)
    {
        _servers = servers;
        Host = host;
        Name = name;
        Logs = logs;
        _deleteQueues = deleteQueues;
    }

    public IHost Host { get; }

    public string Name { get; }

    public CapturedLogs Logs { get; }

    public IServiceProvider Services => Host.Services;

    public HandlerProbe Probe => Services.GetRequiredService<HandlerProbe>();

    public NpgsqlDataSource DataSource => Services.GetRequiredService<NpgsqlDataSource>();

    public IEventPublisher Publisher => Services.GetRequiredService<IEventPublisher>();

    public DeadLetters DeadLetters => Services.GetRequiredService<DeadLetters>();

    public static string UniqueName(string prefix) => $"t-{prefix}-{Guid.NewGuid():n}"[..(prefix.Length + 11)];

    public static async Task<TestService> StartAsync(
        Servers servers,
        string database,
        string name,
        Action<EventBusBuilder> configureBus,
        Action<IServiceCollection>? configureServices = null,
        IDictionary<string, string?>? settings = null,
        bool consumes = true)
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            DisableDefaults = true,
            ApplicationName = name,
        });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:messaging"] = servers.RabbitMQConnectionString,
            ["ConnectionStrings:db"] = database,
            ["Messaging:EventBus:RetryDelay"] = "00:00:00.050",
            ["Messaging:EventBus:MaxRetryDelay"] = "00:00:00.200",
            ["Messaging:EventBus:ReconnectDelay"] = "00:00:00.200",
            ["Messaging:EventBus:MaxReconnectDelay"] = "00:00:02",
            ["Messaging:EventBus:PublishConfirmTimeout"] = "00:00:05",
            ["Messaging:Outbox:PollInterval"] = "00:00:00.500",
            ["Messaging:Outbox:RetryDelay"] = "00:00:00.200",
            ["Messaging:Outbox:MaxRetryDelay"] = "00:00:02",
        });
        if (settings is not null)
        {
            builder.Configuration.AddInMemoryCollection(settings);
        }

        var logs = new CapturedLogs();
        builder.Logging.ClearProviders().AddProvider(logs).SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton<HandlerProbe>();
        builder.AddNpgsqlDataSource("db");
        configureBus(builder.AddEventBus("messaging", name));
        configureServices?.Invoke(builder.Services);

        var host = builder.Build();
        var service = new TestService(servers, host, name, logs, deleteQueues: consumes);
        await host.StartAsync();
        if (consumes)
        {
            await service.WaitUntilConsumingAsync();
        }

        return service;
    }

    /// <summary>Writes the events into the outbox in one committed transaction, as a service's own change would.</summary>
    public async Task EnqueueAsync(params IntegrationEvent[] events)
    {
        await using var connection = await DataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await Services.GetRequiredService<IOutbox>().EnqueueAsync(events, transaction, CancellationToken.None);
        await transaction.CommitAsync();
    }

    public Task WaitUntilAppliedAsync(string eventId, TimeSpan? timeout = null) =>
        Eventually.HoldsAsync(
            async () => await AppliedEvents.CountAsync(DataSource, eventId) > 0,
            timeout ?? TimeSpan.FromSeconds(20),
            $"{Name} to apply {eventId}",
            Logs.Dump);

    private Task WaitUntilConsumingAsync() =>
        Eventually.HoldsAsync(
            async () =>
            {
                await using var connection = await _servers.ConnectRabbitAsync();
                await using var channel = await connection.CreateChannelAsync();
                try
                {
                    return await channel.ConsumerCountAsync(Name) > 0;
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
                {
                    return false; // 404: the queue is not declared yet
                }
            },
            TimeSpan.FromSeconds(20),
            $"{Name} to consume its queue",
            Logs.Dump);

    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await Host.StopAsync();
        Host.Dispose();
        if (_deleteQueues)
        {
            // Durable queues outlive the test otherwise, and keep collecting its event types.
            await using var connection = await _servers.ConnectRabbitAsync();
            await using var channel = await connection.CreateChannelAsync();
            await channel.QueueDeleteAsync(Name);
            await channel.QueueDeleteAsync($"{Name}.dead-letters");
        }
    }
}
