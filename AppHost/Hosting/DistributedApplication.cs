using System.Runtime.InteropServices;
using Platform.Hosting.Orchestration;
using Platform.Hosting.Publishing;

namespace Platform.Hosting;

/// <summary>
/// The built app model: publishes it as a manifest, or runs it locally — install what is missing, start every
/// resource once what it waits for is healthy, and stop everything on Ctrl+C or SIGTERM.
/// </summary>
public sealed class DistributedApplication : IAsyncDisposable
{
    private readonly DistributedApplicationBuilder builder;
    private IReadOnlyList<Resource> selected;
    private StateFolder? state;
    private ProcessRegistry? processes;
    private Orchestrator? orchestrator;
    private ResourceOutput? output;

    internal DistributedApplication(DistributedApplicationBuilder builder)
    {
        this.builder = builder;
        selected = builder.Resources;
    }

    public DistributedApplicationExecutionContext ExecutionContext => builder.ExecutionContext;

    public IReadOnlyList<Resource> Resources => selected;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    public static DistributedApplicationBuilder CreateBuilder(string[] args)
    {
        AppHostOptions options;
        try
        {
            options = AppHostOptions.Parse(args);
        }
        catch (AppHostUsageException e) when (DistributedApplicationHooks.Current is null)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            Console.Error.WriteLine();
            Console.Error.WriteLine(AppHostOptions.Usage);
            Environment.Exit(2);
            throw;
        }

        if (options.ShowHelp && DistributedApplicationHooks.Current is null)
        {
            Console.WriteLine(AppHostOptions.Usage);
            Environment.Exit(0);
        }

        DistributedApplicationHooks.OnCreating(options);
        return new DistributedApplicationBuilder(options);
    }

    /// <summary>Keeps only these resources and everything they wait for, reference or live in (tests).</summary>
    public void KeepOnly(params string[] names)
    {
        var keep = new HashSet<Resource>();
        void Add(Resource resource)
        {
            if (!keep.Add(resource)) return;
            foreach (var dependency in resource.WaitsFor.Concat(resource.References)) Add(dependency);
            if (resource is IResourceWithParent child) Add(child.Parent);
            if (resource is PostgresServerResource p) Add(p.Password);
            if (resource is RedisResource r) Add(r.Password);
            if (resource is RabbitMQServerResource m) Add(m.Password);
        }

        foreach (var name in names)
        {
            Add(builder.Resources.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"The app model has no resource named '{name}'.", nameof(names)));
        }

        selected = builder.Resources.Where(keep.Contains).ToList();
    }

    public void Run() => Environment.ExitCode = RunAsync().GetAwaiter().GetResult();

    public async Task<int> RunAsync()
    {
        if (builder.ExecutionContext.IsPublishMode)
        {
            var path = ManifestPublisher.Write(builder, builder.Options.OutputPath!);
            Console.WriteLine($"Wrote the app model to {path}");
            return 0;
        }

        using var shutdown = new CancellationTokenSource();
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            if (!shutdown.IsCancellationRequested) Console.WriteLine("Stopping...");
            shutdown.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var sigquit = PosixSignalRegistration.Create(PosixSignal.SIGQUIT, Stop);

        var started = TimeProvider.GetTimestamp();
        try
        {
            await StartAsync(shutdown.Token);
            var gateway = selected.OfType<ProjectResource>().SelectMany(p => p.Endpoints).FirstOrDefault(e => e.IsExternal && e.Scheme == "https");
            Console.WriteLine();
            Console.WriteLine($"Platform is ready in {TimeProvider.GetElapsedTime(started).TotalSeconds:0.0} s.{(gateway is null ? "" : $" Gateway: {gateway.Url().ToString().TrimEnd('/')}")}");
            Console.WriteLine($"State folder: {builder.ExecutionContext.StateDirectory}. Press Ctrl+C to stop.");
            await Task.Delay(Timeout.Infinite, shutdown.Token).ContinueWith(_ => { }, TaskScheduler.Default);
            return 0;
        }
        catch (DistributedApplicationException e)
        {
            Console.Error.WriteLine($"error: {e.Message}");
            return 1;
        }
        catch (OperationCanceledException) when (shutdown.IsCancellationRequested)
        {
            return 0;
        }
        finally
        {
            await DisposeAsync();
            Console.WriteLine("Stopped.");
        }
    }

    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        if (orchestrator is not null) throw new InvalidOperationException("The application is already started.");
        var options = builder.Options;
        output = new ResourceOutput(options.ResourceOutput);
        state = StateFolder.Open(builder.ExecutionContext.StateDirectory);
        try
        {
            await new PackageInstaller(output).EnsureAsync(selected.OfType<ContainerResource>(), cancellationToken);
            // Every parameter, selected or not: a kept project may read one through its environment.
            state.ResolveParameters(builder.Resources.OfType<ParameterResource>());
            PortAllocator.Allocate(selected, options.RandomizePorts);
            processes = new ProcessRegistry(state.Path);
            processes.StartWatchdog(options.DeleteStateOnExit ? state.Path : null);
            orchestrator = new Orchestrator(selected, new OrchestratorContext(options, builder.ExecutionContext, state, processes, output, TimeProvider));
            await orchestrator.StartAsync(cancellationToken);
        }
        catch
        {
            await DisposeAsync();
            throw;
        }
    }

    public Uri GetEndpoint(string resourceName, string endpointName = "https", int replica = 0) =>
        Find(resourceName).GetEndpoint(endpointName).Url(replica);

    public string GetConnectionString(string resourceName) =>
        Find(resourceName) is IResourceWithConnectionString withConnectionString
            ? withConnectionString.ConnectionStringExpression.GetValue()
            : throw new ArgumentException($"'{resourceName}' has no connection string.", nameof(resourceName));

    /// <summary>A parameter's value, generated secrets included (tests use it to act as an operator).</summary>
    public string GetParameterValue(string parameterName) =>
        builder.Resources.OfType<ParameterResource>().FirstOrDefault(p => p.Name == parameterName)?.GetValue()
        ?? throw new ArgumentException($"No parameter named '{parameterName}'.", nameof(parameterName));

    public IReadOnlyDictionary<string, ResourceState> GetResourceStates() => Orchestrator.States;

    public Task WaitForResourceHealthyAsync(string resourceName, CancellationToken cancellationToken = default) =>
        Orchestrator.WaitForHealthyAsync(resourceName, cancellationToken);

    public Task StopResourceAsync(string resourceName) => Orchestrator.StopResourceAsync(resourceName);

    public Task StartResourceAsync(string resourceName, CancellationToken cancellationToken = default) => Orchestrator.StartResourceAsync(resourceName, cancellationToken);

    /// <summary>Fault injection: kills a project replica as a crash would (SIGKILL); returns the killed pid.</summary>
    public int KillReplica(string resourceName, int replica = 0) => Orchestrator.KillReplica(resourceName, replica);

    /// <summary>The process id of a project replica (benchmarks read its CPU time).</summary>
    public int GetProcessId(string resourceName, int replica = 0) => Orchestrator.ProcessId(resourceName, replica);

    public string GetRecentOutput(string resourceName) => output?.Tail(resourceName, 60) ?? "";

    public async ValueTask DisposeAsync()
    {
        if (orchestrator is not null) await orchestrator.DisposeAsync();
        orchestrator = null;
        processes?.Dispose();
        processes = null;
        state?.Dispose();
        if (state is not null && builder.Options.DeleteStateOnExit)
        {
            // Best effort: a test run must not fail because a server left a file behind while exiting.
            try { Directory.Delete(state.Path, recursive: true); } catch (IOException) { } catch (UnauthorizedAccessException) { }
        }

        state = null;
    }

    private Orchestrator Orchestrator => orchestrator ?? throw new InvalidOperationException("The application is not started.");

    private Resource Find(string name) =>
        selected.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No resource named '{name}' in this app.", nameof(name));
}
