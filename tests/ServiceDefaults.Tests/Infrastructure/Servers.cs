using Platform.Hosting.Testing;

namespace Platform.ServiceDefaults.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL, Redis and RabbitMQ, started once through the AppHost's test harness for every test in the
/// "servers" collection (about 15 s). Tests in that collection run one at a time, so one of them may stop a server.
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
        _app = await TestingApplication.CreateAsync();
        _app.KeepOnly("postgres", "redis", "messaging");
        await _app.StartAsync();
        Postgres = _app.GetConnectionString("postgres");
        Redis = _app.GetConnectionString("redis");
        RabbitMQ = _app.GetConnectionString("messaging");
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
