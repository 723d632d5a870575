using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Platform.Hosting.Testing;

/// <summary>
/// The AppHost's own app model (its Program.cs) run by Aspire.Hosting.Testing for a test: a fresh state folder, free
/// ports, generated secrets, throwaway (fsync-free) databases, every resource's console output in <see cref="Log"/>,
/// and everything stopped and deleted afterwards. Resources can be trimmed (<see cref="KeepOnly"/>), projects given
/// settings or replicas, and servers stopped, started or killed.
/// </summary>
public sealed class TestingApplication : IAsyncDisposable
{
    private static readonly TimeSpan startTimeout = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan stopLimit = TimeSpan.FromMinutes(2);
    private readonly IDistributedApplicationTestingBuilder builder;
    private readonly Dictionary<string, string> parameters = [];
    private readonly CancellationTokenSource stopping = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, ResourceEvent> latest = new();
    private DistributedApplication? app;

    private TestingApplication(IDistributedApplicationTestingBuilder builder, string stateDirectory)
    {
        this.builder = builder;
        StateDirectory = stateDirectory;
        Log = new TestLog(stateDirectory);
    }

    public string StateDirectory { get; }

    public TestLog Log { get; }

    public DistributedApplication Application => app ?? throw new InvalidOperationException("The application has not started.");

    /// <summary>Builds the app model of the AppHost's Program.cs for a test (not started yet).</summary>
    public static async Task<TestingApplication> CreateAsync(params string[] args)
    {
        StaleState.Sweep();
        var stateDirectory = Path.Combine(Path.GetTempPath(), $"platform-test-{Guid.NewGuid():n}"[..26]);
        StaleState.Claim(stateDirectory);
        var builder = await DistributedApplicationTestingBuilder.CreateAsync(
            typeof(Platform.AppHost.Servers.StateFolder).Assembly.EntryPoint!.DeclaringType!,
            ["--state-dir", stateDirectory, "--no-containers", .. args],
            (options, _) => options.DisableDashboard = true);
        builder.Configuration["Platform:LocalServers:Ephemeral"] = "true";
        var testing = new TestingApplication(builder, stateDirectory);
        foreach (var parameter in builder.Resources.OfType<ParameterResource>())
        {
            // Every secret generated here, as the AppHost would, but never persisted to the user's secrets.
            var value = RandomNumberGenerator.GetString("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789", 44);
            testing.parameters[parameter.Name] = value;
            builder.Configuration[$"Parameters:{parameter.Name}"] = value;
        }

        // Fixed ports (the gateway's 8443) would collide between test runs: every unproxied endpoint of a project gets a free one,
        // except a gateway port the test chose itself (--Platform:GatewayPort=N, e.g. one from FreePort()): then identity's
        // issuer and the links it makes are that port too, as a browser and the console's own calls need.
        var chosenGatewayPort = args.Select(a => a.StartsWith("--Platform:GatewayPort=", StringComparison.Ordinal) ? a["--Platform:GatewayPort=".Length..] : null)
            .LastOrDefault(a => a is not null) is { } chosen ? int.Parse(chosen, System.Globalization.CultureInfo.InvariantCulture) : (int?)null;
        foreach (var project in builder.Resources.OfType<ProjectResource>())
        {
            // No dashboard, no collector: Aspire still names one (OTEL_EXPORTER_OTLP_ENDPOINT, localhost:4317), and
            // every service would record each request's spans, metrics and logs and retry exporting them into a closed
            // port (at the gateway under load 40-120 µs of CPU per request, bench/GatewayEdge). Without the variable
            // ServiceDefaults records nothing, as wherever no collector is configured; trace context still flows. A
            // test that wants telemetry sets the variable itself (WithEnvironment, added after this, wins).
            project.Annotations.Add(new EnvironmentCallbackAnnotation(context => context.EnvironmentVariables.Remove("OTEL_EXPORTER_OTLP_ENDPOINT")));
            foreach (var endpoint in project.Annotations.OfType<EndpointAnnotation>().Where(e => !e.IsProxied))
            {
                if (chosenGatewayPort is { } port && endpoint.Port == port) continue;
                endpoint.Port = endpoint.TargetPort = FreePort();
            }
        }

        return testing;
    }

    /// <summary>Runs only these resources and what they depend on (parents, references, waits).</summary>
    public TestingApplication KeepOnly(params string[] names)
    {
        Platform.AppHost.ResourceSelection.KeepOnly(builder.Resources, names);
        return this;
    }

    /// <summary>Adds an environment variable to a project before it starts (extra routes, settings under test).</summary>
    public TestingApplication WithEnvironment(string project, string name, string value)
    {
        builder.CreateResourceBuilder(Project(project)).WithEnvironment(name, value);
        return this;
    }

    /// <summary>Runs a project with this many replicas (before it starts); each replica is then reachable on its own.</summary>
    public TestingApplication WithReplicas(string project, int replicas)
    {
        var resource = Project(project);
        builder.CreateResourceBuilder(resource).WithReplicas(replicas);
        if (replicas > 1)
        {
            // DCP gives each replica its own port behind one proxied port (an unproxied one cannot be shared).
            foreach (var endpoint in resource.Annotations.OfType<EndpointAnnotation>().Where(e => !e.IsProxied))
            {
                endpoint.IsProxied = true;
                endpoint.TargetPort = null;
            }
        }

        return this;
    }

    public async Task<TestingApplication> StartAsync(CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(startTimeout);
        app = await builder.BuildAsync(timeout.Token);
        TestServers.CountSet();
        _ = CopyLogsAsync(app, stopping.Token);
        try
        {
            await app.StartAsync(timeout.Token);
            await Task.WhenAll(Resources().Select(r => WaitUntilHealthyAsync(r.Name, timeout.Token)));
        }
        catch (Exception e) when (e is not DistributedApplicationException)
        {
            throw new DistributedApplicationException($"The app did not become healthy: {e.Message}{Environment.NewLine}(all resource output: {Log.Path})", e);
        }

        return this;
    }

    /// <summary>Waits until the resource is healthy; one that fails or exits on the way stops the wait with its last output.</summary>
    public async Task WaitUntilHealthyAsync(string resource, CancellationToken cancellationToken = default)
    {
        var result = await Application.ResourceNotifications.WaitForResourceAsync(resource, e =>
            e.Snapshot.HealthStatus == Microsoft.Extensions.Diagnostics.HealthChecks.HealthStatus.Healthy && e.Snapshot.State?.Text == KnownResourceStates.Running
            || e.Snapshot.State?.Text is { } state && (state == KnownResourceStates.FailedToStart || state == KnownResourceStates.Exited || state == KnownResourceStates.Finished),
            cancellationToken);
        if (result.Snapshot.State?.Text != KnownResourceStates.Running)
        {
            throw new DistributedApplicationException(
                $"{resource} is {result.Snapshot.State?.Text} (exit code {result.Snapshot.ExitCode}). Its last output:{Environment.NewLine}{Log.Tail(resource)}{Environment.NewLine}(all resource output: {Log.Path})");
        }
    }

    public Uri GetEndpoint(string resource, string endpoint = "https", int replica = 0)
    {
        var annotation = Resource(resource).Annotations.OfType<EndpointAnnotation>().Single(e => e.Name == endpoint);
        if (Resource(resource) is ProjectResource project && project.GetReplicaCount() > 1)
        {
            // Each replica's own port, as DCP gave it (the variable that tells the replica its port).
            var replicas = Replicas(resource);
            if (replica >= replicas.Count) throw new ArgumentOutOfRangeException(nameof(replica), $"{resource} has {replicas.Count} replicas running.");
            // The variable named by WithEndpoint(env: …) (Aspire keeps it internal).
            var variable = typeof(EndpointAnnotation).GetProperty("TargetPortEnvironmentVariable", System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic)?.GetValue(annotation) as string ?? throw new InvalidOperationException($"{resource}'s {endpoint} endpoint names no port variable.");
            var port = replicas[replica].Snapshot.EnvironmentVariables.First(v => v.Name == variable).Value;
            return new Uri($"{annotation.UriScheme}://localhost:{port}");
        }

        if (replica != 0) throw new ArgumentOutOfRangeException(nameof(replica), $"{resource} has one replica.");
        var uri = Application.GetEndpoint(resource, endpoint);
        return new UriBuilder(uri) { Host = "localhost" }.Uri;
    }

    public string GetConnectionString(string resource) =>
        Application.GetConnectionStringAsync(resource).AsTask().GetAwaiter().GetResult()
        ?? throw new InvalidOperationException($"{resource} has no connection string.");

    public string GetParameterValue(string name) => parameters[name];

    /// <summary>Each resource's current state by name (a replicated project: its first replica's).</summary>
    public IReadOnlyDictionary<string, string?> GetResourceStates() =>
        Resources().ToDictionary(r => r.Name, r => latest.Values
            .Where(e => e.Resource.Name == r.Name && e.Snapshot.State?.Text is not null)
            .OrderBy(e => e.ResourceId, StringComparer.Ordinal)
            .Select(e => e.Snapshot.State?.Text)
            .FirstOrDefault());

    /// <summary>Stops a resource (as the dashboard's Stop does) and waits until it has.</summary>
    public async Task StopResourceAsync(string resource)
    {
        // DCP's stop gives up asking after a few seconds while a slow process is still stopping: what counts is that it stops.
        var result = await Application.ResourceCommands.ExecuteCommandAsync(Resource(resource), KnownResourceCommands.StopCommand);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        try
        {
            await Application.ResourceNotifications.WaitForResourceAsync(resource, KnownResourceStates.TerminalStates, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            throw new InvalidOperationException($"{resource} did not stop within 60 s ({result.Message}).");
        }
    }

    /// <summary>Starts a stopped resource (as the dashboard's Start does) and waits until it is healthy.</summary>
    public async Task StartResourceAsync(string resource)
    {
        var result = await Application.ResourceCommands.ExecuteCommandAsync(Resource(resource), KnownResourceCommands.StartCommand);
        if (!result.Success) throw new InvalidOperationException($"Starting {resource} failed: {result.Message}");
        using var timeout = new CancellationTokenSource(startTimeout);
        await WaitUntilHealthyAsync(resource, timeout.Token);
    }

    /// <summary>Kills one replica of a project outright (SIGKILL, with the program under its `dotnet run`); returns its pid.</summary>
    public int KillReplica(string project, int replica = 0)
    {
        var pid = ProcessId(Replicas(project)[replica]);
        using var process = Process.GetProcessById(pid);
        process.Kill(entireProcessTree: true);
        return pid;
    }

    /// <summary>
    /// A client for a resource's endpoint that trusts exactly that resource's development certificate (pinned,
    /// not "accept anything"), the way a developer's machine would after trusting it.
    /// </summary>
    public HttpClient CreateHttpClient(string resource, string endpoint = "https", int replica = 0, HttpMessageHandler? handler = null)
    {
        handler ??= CreateHandler(resource);
        return new HttpClient(handler) { BaseAddress = GetEndpoint(resource, endpoint, replica), Timeout = TimeSpan.FromSeconds(30) };
    }

    public SocketsHttpHandler CreateHandler(string resource)
    {
        var certificate = DevelopmentCertificate(resource);
        return new SocketsHttpHandler
        {
            SslOptions =
            {
                RemoteCertificateValidationCallback = (_, presented, _, errors) =>
                    errors == System.Net.Security.SslPolicyErrors.None
                    || (certificate is not null && presented is not null && presented.GetCertHashString() == certificate.GetCertHashString()),
            },
        };
    }

    public X509Certificate2? DevelopmentCertificate(string resource)
    {
        var path = Path.Combine(StateDirectory, resource, "development-certificate.pfx");
        return File.Exists(path) ? X509CertificateLoader.LoadPkcs12FromFile(path, password: null) : null;
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null)
        {
            // Bounded: a stop that hangs fails the fixture in minutes rather than holding the test run open.
            try
            {
                using var stopTimeout = new CancellationTokenSource(stopLimit);
                await app.StopAsync(stopTimeout.Token);
            }
            finally
            {
                await stopping.CancelAsync();
                await app.DisposeAsync().AsTask().WaitAsync(stopLimit);
            }
        }

        StaleState.Delete(StateDirectory);
    }

    private List<ResourceEvent> Replicas(string resource) =>
        [.. latest.Values.Where(e => e.Resource.Name == resource && e.Snapshot.State?.Text == KnownResourceStates.Running).OrderBy(e => e.ResourceId, StringComparer.Ordinal)];

    /// <summary>The process ids of a project's running replicas (each its `dotnet run`).</summary>
    public IReadOnlyList<int> ReplicaProcessIds(string project) => [.. Replicas(project).Select(ProcessId)];

    private static int ProcessId(ResourceEvent replica) =>
        replica.Snapshot.Properties.First(p => p.Name == "executable.pid").Value switch
        {
            int i => i,
            long l => (int)l,
            var other => int.Parse(other!.ToString()!, System.Globalization.CultureInfo.InvariantCulture),
        };

    private async Task CopyLogsAsync(DistributedApplication application, CancellationToken cancellationToken)
    {
        var loggers = application.Services.GetRequiredService<ResourceLoggerService>();
        var watched = new HashSet<string>();
        try
        {
            await foreach (var e in application.ResourceNotifications.WatchAsync(cancellationToken))
            {
                latest[e.ResourceId] = e;
                if (!watched.Add(e.ResourceId)) continue;
                var name = e.Resource.Name;
                _ = Task.Run(async () =>
                {
                    await foreach (var batch in loggers.WatchAsync(e.ResourceId).WithCancellation(cancellationToken))
                    {
                        foreach (var line in batch) Log.Write(name, line.Content);
                    }
                }, cancellationToken);
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    /// <summary>The resources that run: not parameters, not the hidden ones Aspire adds (a project's rebuilder).</summary>
    private IEnumerable<IResource> Resources() =>
        Application.Services.GetRequiredService<DistributedApplicationModel>().Resources
            .Where(r => r is not ParameterResource)
            .Where(r => !(Application.ResourceNotifications.TryGetCurrentState(r.Name, out var e) && e.Snapshot.IsHidden) && !r.Name.EndsWith("-rebuilder", StringComparison.Ordinal));

    private IResource Resource(string name) =>
        builder.Resources.FirstOrDefault(r => r.Name == name) ?? throw new ArgumentException($"No resource named '{name}' in this app.", nameof(name));

    private ProjectResource Project(string name) =>
        Resource(name) as ProjectResource ?? throw new ArgumentException($"'{name}' is not a project.", nameof(name));

    private static int FreePort() => Platform.AppHost.Servers.Ports.Free();
}
