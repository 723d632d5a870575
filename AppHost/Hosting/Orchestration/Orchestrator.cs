namespace Platform.Hosting.Orchestration;

public enum ResourceState
{
    NotStarted,
    Starting,
    Running,
    Failed,
    Stopped,
}

/// <summary>
/// Starts the model's resources, each as soon as what it waits for is healthy, and stops each once its users have stopped.
/// If any resource cannot start, everything already started is stopped again and the cause is reported.
/// </summary>
/// <param name="createRunner">How a resource runs; the local processes of <see cref="CreateRunner"/> unless a test says otherwise.</param>
internal sealed class Orchestrator(IReadOnlyList<Resource> resources, OrchestratorContext context, Func<Resource, ResourceRunner?>? createRunner = null)
    : IAsyncDisposable
{
    private readonly Dictionary<string, ResourceRunner> runners = [];
    private readonly Dictionary<string, TaskCompletionSource> healthy = [];
    private readonly Dictionary<string, ResourceState> states = [];
    private readonly List<ResourceRunner> startOrder = [];
    private readonly Lock gate = new();

    public IReadOnlyDictionary<string, ResourceState> States { get { lock (gate) return new Dictionary<string, ResourceState>(states); } }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var resource in resources)
        {
            healthy[resource.Name] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            SetState(resource.Name, ResourceState.NotStarted);
            if (resource is ParameterResource) healthy[resource.Name].SetResult();
        }

        foreach (var resource in resources)
        {
            if ((createRunner ?? CreateRunner)(resource) is { } runner) runners[resource.Name] = runner;
        }

        using var failed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var tasks = runners.Values.Select(r => StartOneAsync(r, failed)).ToList();
        try
        {
            await Task.WhenAll(tasks);
        }
        catch
        {
            await StopAllAsync();
            var causes = tasks.Where(t => t.IsFaulted).Select(t => t.Exception!.InnerException!).ToList();
            var first = causes.OfType<DistributedApplicationException>().FirstOrDefault();
            if (first is not null) throw first;
            if (cancellationToken.IsCancellationRequested) throw new OperationCanceledException(cancellationToken);
            throw new DistributedApplicationException($"Starting failed: {causes.FirstOrDefault()?.Message}", causes.FirstOrDefault());
        }
    }

    public Task WaitForHealthyAsync(string name, CancellationToken cancellationToken = default) =>
        healthy.TryGetValue(name, out var source)
            ? source.Task.WaitAsync(cancellationToken)
            : throw new ArgumentException($"No resource named '{name}' is running in this app.", nameof(name));

    /// <summary>Stops one resource (a fault test stopping RabbitMQ, say); its dependants keep running.</summary>
    public async Task StopResourceAsync(string name)
    {
        var runner = Runner(name);
        await runner.StopAsync();
        lock (gate) healthy[name] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        SetState(name, ResourceState.Stopped);
    }

    public async Task StartResourceAsync(string name, CancellationToken cancellationToken = default)
    {
        var runner = Runner(name);
        SetState(name, ResourceState.Starting);
        await runner.StartAsync(cancellationToken);
        SetState(name, ResourceState.Running);
        healthy[name].TrySetResult();
    }

    public int KillReplica(string name, int replica) =>
        Runner(name) is ProjectRunner project
            ? project.Kill(replica)
            : throw new ArgumentException($"'{name}' is not a project: only projects are supervised and restarted.", nameof(name));

    public int ProcessId(string name, int replica) =>
        Runner(name) is ProjectRunner project
            ? project.ProcessId(replica)
            : throw new ArgumentException($"'{name}' is not a project.", nameof(name));

    /// <summary>
    /// Stops everything started, each resource as soon as every resource that uses it has stopped: the services all
    /// at once, then the databases and servers they used. Each runner has its own time limit (a service 10 s,
    /// RabbitMQ 30 s, PostgreSQL 15 s); stopping them one after another could add those up to minutes.
    /// </summary>
    public async Task StopAllAsync()
    {
        List<ResourceRunner> started;
        lock (gate) started = [.. startOrder];
        var users = Users([.. started.Select(r => r.Resource)]);
        var stopped = started.ToDictionary(r => r.Resource, _ => new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
        await Task.WhenAll(started.Select(async runner =>
        {
            await Task.WhenAll(users[runner.Resource].Select(user => stopped[user].Task));
            try
            {
                await runner.StopAsync();
                SetState(runner.Resource.Name, ResourceState.Stopped);
            }
            catch (Exception e)
            {
                context.Output.Info($"{runner.Resource.Name}: stopping failed: {e.Message}");
            }
            finally
            {
                stopped[runner.Resource].SetResult();
            }
        }));

        lock (gate) startOrder.Clear();
    }

    /// <summary>
    /// Per resource, the resources that use it and must stop first: what waits for it or is its child (that order
    /// held at start, so it has no loop), then what references it — unless that would close a loop, as two services
    /// that reference each other would.
    /// </summary>
    private static Dictionary<Resource, List<Resource>> Users(IReadOnlyList<Resource> resources)
    {
        var users = resources.ToDictionary(r => r, _ => new List<Resource>());
        var uses = resources.SelectMany(user => user.WaitsFor.Concat(user is IResourceWithParent child ? [child.Parent] : []).Select(used => (user, used)))
            .Concat(resources.SelectMany(user => user.References.Select(used => (user, used))));
        foreach (var (user, used) in uses)
        {
            if (used != user && users.ContainsKey(used) && !users[used].Contains(user) && !WaitsFor(users, user, used)) users[used].Add(user);
        }

        return users;
    }

    /// <summary>Whether <paramref name="from"/> already stops only after <paramref name="to"/>, directly or not.</summary>
    private static bool WaitsFor(Dictionary<Resource, List<Resource>> users, Resource from, Resource to)
    {
        var seen = new HashSet<Resource>();
        var pending = new Stack<Resource>([from]);
        while (pending.TryPop(out var next))
        {
            if (next == to) return true;
            if (seen.Add(next)) foreach (var user in users[next]) pending.Push(user);
        }

        return false;
    }

    public ValueTask DisposeAsync() => new(StopAllAsync());

    private async Task StartOneAsync(ResourceRunner runner, CancellationTokenSource failed)
    {
        var resource = runner.Resource;
        try
        {
            var dependencies = resource.WaitsFor.AsEnumerable();
            if (resource is IResourceWithParent child) dependencies = dependencies.Append(child.Parent);
            foreach (var dependency in dependencies.Where(d => healthy.ContainsKey(d.Name)))
            {
                await healthy[dependency.Name].Task.WaitAsync(failed.Token);
            }

            SetState(resource.Name, ResourceState.Starting);
            lock (gate) startOrder.Add(runner);
            await runner.StartAsync(failed.Token);
            SetState(resource.Name, ResourceState.Running);
            if (resource is not ParameterResource && resource is not PostgresDatabaseResource)
            {
                context.Output.Info($"{resource.Name}: healthy{Describe(resource)}");
            }

            healthy[resource.Name].TrySetResult();
        }
        catch (Exception)
        {
            SetState(resource.Name, ResourceState.Failed);
            await failed.CancelAsync();
            throw;
        }
    }

    private static string Describe(Resource resource) => resource.Endpoints.Count == 0
        ? ""
        : " at " + string.Join(", ", resource.Endpoints.SelectMany(e => e.AllocatedPorts.Select((_, i) => e.Url(i).ToString().TrimEnd('/'))));

    private ResourceRunner? CreateRunner(Resource resource) => resource switch
    {
        PostgresServerResource postgres => new PostgresRunner(postgres, context),
        PostgresDatabaseResource database => new DatabaseRunner(database, (PostgresRunner)runners[database.Server.Name], context),
        RedisResource redis => new RedisRunner(redis, context),
        RabbitMQServerResource rabbit => new RabbitMQRunner(rabbit, context),
        ProjectResource project => new ProjectRunner(project, context),
        ParameterResource => null,
        _ => throw new DistributedApplicationException($"{resource.Name}: resources of type {resource.GetType().Name} cannot run locally."),
    };

    private ResourceRunner Runner(string name) =>
        runners.TryGetValue(name, out var runner) ? runner : throw new ArgumentException($"No resource named '{name}' runs in this app.", nameof(name));

    private void SetState(string name, ResourceState state)
    {
        lock (gate) states[name] = state;
    }
}
