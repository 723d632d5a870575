using Platform.Hosting.Testing;

namespace Platform.ServiceDefaults.Tests.Infrastructure;

/// <summary>
/// Real PostgreSQL, Redis and RabbitMQ for every test in the "servers" collection: a database, a Redis database and a
/// virtual host of the test run's shared servers. Tests in that collection run one at a time.
/// </summary>
public sealed class Servers : IAsyncLifetime
{
    public string Postgres { get; private set; } = "";

    public string Redis { get; private set; } = "";

    public string RabbitMQ { get; private set; } = "";

    public async Task InitializeAsync()
    {
        var lease = await TestServers.LeaseAsync();
        Postgres = lease.GetConnectionString("postgres");
        Redis = lease.GetConnectionString("redis");
        RabbitMQ = lease.GetConnectionString("messaging");
    }

    public Task DisposeAsync() => Task.CompletedTask;
}

[CollectionDefinition(Name)]
public sealed class ServersCollection : ICollectionFixture<Servers>
{
    public const string Name = "servers";
}
