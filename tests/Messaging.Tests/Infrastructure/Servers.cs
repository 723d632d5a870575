using Npgsql;
using Platform.Hosting.Testing;
using RabbitMQ.Client;

namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL and RabbitMQ: a database and a virtual host of the test run's shared servers. Tests keep apart by
/// their own database, service (queue) names and event types.
/// </summary>
public class Servers : IAsyncLifetime
{
    public string PostgresConnectionString { get; private set; } = "";

    public string RabbitMQConnectionString { get; protected set; } = "";

    public virtual async Task InitializeAsync()
    {
        var lease = await TestServers.LeaseAsync();
        PostgresConnectionString = lease.GetConnectionString("postgres");
        RabbitMQConnectionString = lease.GetConnectionString("messaging");
    }

    public virtual Task DisposeAsync() => Task.CompletedTask;

    /// <summary>A new, empty database with the messaging schema and the tests' <c>applied</c> table.</summary>
    public async Task<string> CreateDatabaseAsync()
    {
        var name = $"msg_{Guid.NewGuid():n}"[..16];
        await using (var admin = new NpgsqlConnection(PostgresConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(PostgresConnectionString) { Database = name }.ConnectionString;
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await MessagingSchema.ApplyAsync(dataSource, CancellationToken.None);
        await using var command = dataSource.CreateCommand(AppliedEvents.Schema);
        await command.ExecuteNonQueryAsync();
        return connectionString;
    }

    public async Task<IConnection> ConnectRabbitAsync() =>
        await new ConnectionFactory { Uri = new Uri(RabbitMQConnectionString), AutomaticRecoveryEnabled = false, ClientProvidedName = "messaging-tests" }
            .CreateConnectionAsync();
}

/// <summary>
/// The run's shared PostgreSQL and a RabbitMQ of its own, started through the AppHost's test harness, for the tests
/// that stop the broker.
/// </summary>
public sealed class BrokerServers : Servers
{
    private TestingApplication? app;

    public TestingApplication App => app ?? throw new InvalidOperationException("The servers are not started.");

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        app = await TestingApplication.CreateAsync();
        app.KeepOnly("messaging");
        await app.StartAsync();
        RabbitMQConnectionString = app.GetConnectionString("messaging");
    }

    public override async Task DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
    }
}

/// <summary>Every test that uses the shared servers; it runs beside the broker collection.</summary>
[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<Servers>
{
    public const string Name = "servers";
}

/// <summary>
/// The tests that stop RabbitMQ, on a broker of their own. xUnit runs the classes of one collection one after another,
/// so a stop never pulls the broker from under another test; the collection's long outage overlaps the other tests.
/// </summary>
[CollectionDefinition(Name)]
public sealed class BrokerCollection : ICollectionFixture<BrokerServers>
{
    public const string Name = "broker";
}
