using Platform.Hosting.Testing;

namespace Platform.ServiceDefaults.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL, Redis and RabbitMQ for every test in the "servers" collection: a database and a virtual host of
/// the test run's shared servers, and a Redis of its own started through the AppHost's test harness, because one
/// test stops it. Tests in that collection run one at a time.
/// </summary>
public sealed class Servers : IAsyncLifetime
{
    private TestingApplication? _app;

    public string Postgres { get; private set; } = "";

    public string Redis { get; private set; } = "";

    public string RabbitMQ { get; private set; } = "";

    private TestingApplication App => _app ?? throw new InvalidOperationException("The servers are not started.");

    public async Task InitializeAsync()
    {
        var lease = await TestServers.LeaseAsync();
        Postgres = lease.GetConnectionString("postgres");
        RabbitMQ = lease.GetConnectionString("messaging");
        _app = await TestingApplication.CreateAsync();
        _app.KeepOnly("redis");
        await _app.StartAsync();
        Redis = _app.GetConnectionString("redis");
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }

    /// <summary>Stops redis-server; <see cref="StartRedisAsync"/> brings it back on the same port with the same data.</summary>
    public Task StopRedisAsync() => App.StopResourceAsync("redis");

    public Task StartRedisAsync() => App.StartResourceAsync("redis");
}

[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<Servers>
{
    public const string Name = "servers";
}
