using Npgsql;
using Platform.Hosting.Testing;
using RabbitMQ.Client;

namespace Platform.Messaging.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL (a database of the test run's shared servers) and a RabbitMQ of its own, started through the
/// AppHost's test harness once for the test assembly. Tests keep apart by their own database, service (queue) names
/// and event types.
/// </summary>
public sealed class Servers : IAsyncLifetime
{
    private TestingApplication? _app;

    public TestingApplication App => _app ?? throw new InvalidOperationException("The servers are not started.");

    public string PostgresConnectionString { get; private set; } = "";

    public string RabbitMQConnectionString { get; private set; } = "";

    public async Task InitializeAsync()
    {
        // PostgreSQL from the test run's shared servers; a RabbitMQ of its own, which the outage tests stop.
        var lease = await TestServers.LeaseAsync();
        PostgresConnectionString = lease.GetConnectionString("postgres");
        _app = await TestingApplication.CreateAsync();
        _app.KeepOnly("messaging");
        await _app.StartAsync();
        RabbitMQConnectionString = _app.GetConnectionString("messaging");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

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
/// Every test that uses the servers. xUnit runs the classes of one collection one after another, which is also what
/// lets the broker-outage test stop RabbitMQ without pulling it from under another test.
/// </summary>
[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<Servers>
{
    public const string Name = "servers";
}
