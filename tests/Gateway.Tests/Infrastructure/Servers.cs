using Platform.Hosting.Testing;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>
/// The servers the gateway needs at start-up (it publishes audit events through RabbitMQ, and limits through Redis):
/// a virtual host and a Redis database of the test run's shared servers; plus a scratch folder for certificates and
/// spools.
/// </summary>
public class SharedServers : IAsyncLifetime
{
    public string Messaging { get; private set; } = "";

    public string Redis { get; protected set; } = "";

    public string WorkDirectory { get; } = Path.Combine(Path.GetTempPath(), $"gateway-tests-{Guid.NewGuid():n}");

    /// <summary>The connection strings the gateway is given, as environment variables.</summary>
    public IReadOnlyDictionary<string, string> ConnectionStrings => new Dictionary<string, string>
    {
        ["ConnectionStrings__messaging"] = Messaging,
        ["ConnectionStrings__redis"] = Redis,
    };

    public virtual async Task InitializeAsync()
    {
        Directory.CreateDirectory(WorkDirectory);
        var lease = await TestServers.LeaseAsync();
        Messaging = lease.GetConnectionString("messaging");
        Redis = lease.GetConnectionString("redis");
    }

    public virtual Task DisposeAsync()
    {
        Directory.Delete(WorkDirectory, recursive: true);
        return Task.CompletedTask;
    }

    /// <summary>A fresh folder under <see cref="WorkDirectory"/> for one test's files.</summary>
    public string NewFolder()
    {
        var folder = Path.Combine(WorkDirectory, Guid.NewGuid().ToString("n")[..8]);
        Directory.CreateDirectory(folder);
        return folder;
    }
}

/// <summary>
/// The "gateway" collection's servers: RabbitMQ from the test run's shared servers, and a Redis of its own started
/// through the AppHost's test harness, because one test stops it.
/// </summary>
public sealed class Servers : SharedServers
{
    private TestingApplication? _app;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        _app = await TestingApplication.CreateAsync();
        _app.KeepOnly("redis");
        await _app.StartAsync();
        Redis = _app.GetConnectionString("redis");
    }

    public override async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }

        await base.DisposeAsync();
    }

    /// <summary>Stops the Redis server (the gateway's rate limits then fall back to its local limiter).</summary>
    public Task StopRedisAsync() => _app!.StopResourceAsync("redis");

    /// <summary>Starts Redis again, on the same port and data, and returns once it answers.</summary>
    public Task StartRedisAsync() => _app!.StartResourceAsync("redis");
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<Servers>
{
    public const string Name = "gateway";
}

/// <summary>
/// testssl.sh's long scan of a gateway of its own, on the shared servers: a collection of its own, so that it runs
/// beside the "gateway" collection instead of after it.
/// </summary>
[CollectionDefinition(Name)]
public sealed class TestsslCollection : ICollectionFixture<SharedServers>
{
    public const string Name = "testssl";
}
