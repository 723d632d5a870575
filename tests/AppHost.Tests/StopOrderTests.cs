using System.Collections.Concurrent;
using Platform.Hosting.Orchestration;

namespace Platform.AppHost.Tests;

/// <summary>
/// How the orchestrator stops what it started: each resource after everything that uses it, and independent ones
/// at the same time (pure logic, with runners that only record what they are asked to do).
/// </summary>
public sealed class StopOrderTests
{
    private readonly ConcurrentQueue<string> log = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource> release = new();

    [Fact]
    public async Task A_resource_stops_after_its_users_and_unrelated_ones_stop_together()
    {
        var postgres = new Thing("postgres");
        var database = new Thing("db", parent: postgres);
        var redis = new Thing("redis");
        var keys = new Thing("keys", references: [database, redis]);
        var audit = new Thing("audit", references: [database]);
        var gateway = new Thing("gateway", references: [redis], waitsFor: [keys]);
        await using var orchestrator = Start([postgres, database, redis, keys, audit, gateway]);
        await orchestrator.StartAsync(CancellationToken.None);

        var stopping = orchestrator.StopAllAsync();

        // The users of nothing begin together, and nothing they use begins before them.
        await Until(() => Begun("gateway") && Begun("audit"));
        Assert.False(Begun("keys") || Begun("db") || Begun("redis") || Begun("postgres"), string.Join(", ", log));

        Release("gateway");
        await Until(() => Begun("keys"));
        Assert.False(Begun("redis"), "redis still has a user: keys");
        Release("keys");
        await Until(() => Begun("redis"));
        Assert.False(Begun("db"), "the database still has a user: audit");

        Release("audit");
        await Until(() => Begun("db"));
        Assert.False(Begun("postgres"));
        Release("db");
        await Until(() => Begun("postgres"));
        Release("redis");
        Release("postgres");
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.All(new[] { "postgres", "db", "redis", "keys", "audit", "gateway" }, name => Assert.Equal(ResourceState.Stopped, orchestrator.States[name]));
    }

    [Fact]
    public async Task References_both_ways_do_not_deadlock_the_stop_one_stops_then_the_other()
    {
        var identity = new Thing("identity");
        var keys = new Thing("keys", references: [identity]);
        identity.References.Add(keys);
        await using var orchestrator = Start([identity, keys]);
        await orchestrator.StartAsync(CancellationToken.None);

        var stopping = orchestrator.StopAllAsync();

        await Until(() => Begun("keys") || Begun("identity"));
        var (first, second) = Begun("keys") ? ("keys", "identity") : ("identity", "keys");
        Assert.False(Begun(second));
        Release(first);
        await Until(() => Begun(second));
        Release(second);
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_runner_that_fails_to_stop_does_not_keep_what_it_used_running()
    {
        var redis = new Thing("redis");
        var gateway = new Thing("gateway", references: [redis]);
        await using var orchestrator = Start([redis, gateway]);
        await orchestrator.StartAsync(CancellationToken.None);

        var stopping = orchestrator.StopAllAsync();
        await Until(() => Begun("gateway"));
        release["gateway"].SetException(new InvalidOperationException("no such process"));
        await Until(() => Begun("redis"));
        Release("redis");
        await stopping.WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(ResourceState.Stopped, orchestrator.States["redis"]);
        Assert.NotEqual(ResourceState.Stopped, orchestrator.States["gateway"]);
    }

    private Orchestrator Start(IReadOnlyList<Resource> resources)
    {
        var context = new OrchestratorContext(null!, null!, null!, null!, new ResourceOutput((_, _) => { }), TimeProvider.System);
        return new Orchestrator(resources, context, resource => new RecordingRunner(resource, context, this));
    }

    private bool Begun(string name) => log.Contains($"stop {name}");

    private void Release(string name) => release[name].SetResult();

    private static async Task Until(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition()) await Task.Delay(10, timeout.Token);
        // Give anything that would wrongly begin alongside a moment to show itself.
        await Task.Delay(50);
    }

    private sealed class Thing : Resource
    {
        public Thing(string name, Resource? parent = null, Resource[]? references = null, Resource[]? waitsFor = null) : base(name)
        {
            if (parent is not null) WaitsFor.Add(parent);
            References.AddRange(references ?? []);
            WaitsFor.AddRange(waitsFor ?? []);
        }
    }

    private sealed class RecordingRunner(Resource resource, OrchestratorContext context, StopOrderTests test) : ResourceRunner(resource, context)
    {
        public override Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override Task StopAsync()
        {
            var done = test.release.GetOrAdd(Resource.Name, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            test.log.Enqueue($"stop {Resource.Name}");
            return done.Task;
        }
    }
}
