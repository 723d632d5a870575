using System.Diagnostics;
using System.Xml.Linq;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Runs a project's build output (<c>dotnet Project.dll</c>) once per replica with its environment, reports it
/// healthy when its health endpoint answers, and restarts a replica that crashes, with backoff.
/// </summary>
internal sealed class ProjectRunner(ProjectResource project, OrchestratorContext context) : ResourceRunner(project, context)
{
    private static readonly SemaphoreSlim buildGate = new(1, 1);
    private readonly List<Replica> replicas = [];
    private CancellationTokenSource? stopping;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var assembly = await EnsureBuiltAsync(cancellationToken);
        stopping = new CancellationTokenSource();
        var environment = ProjectEnvironment.Build(project, Context.Execution);
        for (var index = 0; index < project.Replicas; index++)
        {
            replicas.Add(new Replica(this, index, assembly, environment));
        }

        await Task.WhenAll(replicas.Select(r => r.StartAsync(cancellationToken)));
        foreach (var replica in replicas) _ = replica.SuperviseAsync(stopping.Token);
    }

    public override async Task StopAsync()
    {
        stopping?.Cancel();
        await Task.WhenAll(replicas.Select(r => r.StopAsync()));
        replicas.Clear();
    }

    /// <summary>Kills a replica outright (SIGKILL), as a crash would; the supervisor then restarts it.</summary>
    public int Kill(int replica)
    {
        if (replica < 0 || replica >= replicas.Count) throw new ArgumentOutOfRangeException(nameof(replica));
        return replicas[replica].Kill();
    }

    public int ProcessId(int replica) =>
        replica >= 0 && replica < replicas.Count ? replicas[replica].ProcessId : throw new ArgumentOutOfRangeException(nameof(replica));

    public string ReplicaName(int index) => project.Replicas == 1 ? project.Name : $"{project.Name}-{index}";

    /// <summary>
    /// The AppHost references every project, so <c>dotnet run --project AppHost</c> has built them already; a
    /// missing output (an AppHost started from its dll) is built once here.
    /// </summary>
    private async Task<string> EnsureBuiltAsync(CancellationToken cancellationToken)
    {
        var configuration = typeof(ProjectRunner).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyConfigurationAttribute), false)
            .OfType<System.Reflection.AssemblyConfigurationAttribute>().FirstOrDefault()?.Configuration ?? "Debug";
        var projectDirectory = Path.GetDirectoryName(project.ProjectPath)!;
        var assemblyName = XDocument.Load(project.ProjectPath).Descendants("AssemblyName").FirstOrDefault()?.Value
            ?? Path.GetFileNameWithoutExtension(project.ProjectPath);
        var output = Path.Combine(projectDirectory, "bin", configuration, "net10.0", assemblyName + ".dll");
        if (File.Exists(output)) return output;

        await buildGate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(output)) return output;
            Context.Output.Info($"{project.Name}: building {Path.GetFileName(project.ProjectPath)} ({configuration})");
            var start = new ProcessStartInfo("dotnet", ["build", project.ProjectPath, "-c", configuration, "--nologo", "-v", "q"]) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            using var build = new Process { StartInfo = start };
            build.OutputDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) Context.Output.Write(project.Name, e.Data); };
            build.ErrorDataReceived += (_, e) => { if (!string.IsNullOrWhiteSpace(e.Data)) Context.Output.Write(project.Name, e.Data); };
            build.Start();
            build.BeginOutputReadLine();
            build.BeginErrorReadLine();
            await build.WaitForExitAsync(cancellationToken);
            if (build.ExitCode != 0 || !File.Exists(output))
            {
                throw new DistributedApplicationException($"{project.Name}: the build failed. Its last output:{Environment.NewLine}{Context.Output.Tail(project.Name)}");
            }

            return output;
        }
        finally
        {
            buildGate.Release();
        }
    }

    private sealed class Replica(ProjectRunner runner, int index, string assembly, IReadOnlyList<KeyValuePair<string, IValueReference>> environment)
    {
        private static readonly HttpClient healthClient = new(new SocketsHttpHandler
        {
            // Health is probed on loopback against the project's own development certificate.
            SslOptions = { RemoteCertificateValidationCallback = (_, _, _, _) => true },
        }) { Timeout = TimeSpan.FromSeconds(3) };

        private ManagedProcess? process;

        private string Name => runner.ReplicaName(index);

        public async Task StartAsync(CancellationToken cancellationToken)
        {
            var project = (ProjectResource)runner.Resource;
            var variables = environment.ToDictionary(kv => kv.Key, kv => (string?)kv.Value.GetValue());
            foreach (var endpoint in project.Endpoints.Where(e => e.EnvironmentVariable is not null))
            {
                variables[endpoint.EnvironmentVariable!] = endpoint.AllocatedPort(index).ToString(System.Globalization.CultureInfo.InvariantCulture);
            }

            var urls = project.Endpoints.Where(e => e.EnvironmentVariable is null).Select(e => e.Url(index).ToString().TrimEnd('/')).ToList();
            variables.Remove("HTTP_PORTS");
            variables.Remove("HTTPS_PORTS");
            variables["ASPNETCORE_URLS"] = urls.Count > 0 ? string.Join(';', urls) : null;
            variables["ASPNETCORE_ENVIRONMENT"] = "Development";
            variables["DOTNET_ENVIRONMENT"] = "Development";
            variables["OTEL_SERVICE_NAME"] = project.Name;
            variables["OTEL_RESOURCE_ATTRIBUTES"] = $"service.instance.id={Name}";
            variables["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            // The AppHost's own secrets and settings are not the service's.
            foreach (var inherited in Environment.GetEnvironmentVariables().Keys.Cast<string>().Where(k => k.StartsWith("ConnectionStrings__", StringComparison.Ordinal) && !variables.ContainsKey(k)))
            {
                variables[inherited] = null;
            }

            process = ManagedProcess.Start(
                new ProcessSpec(Name, "dotnet", [assembly]) { WorkingDirectory = Path.GetDirectoryName(project.ProjectPath), Environment = variables },
                runner.Context.Processes, runner.Context.Output);

            if (project.HealthCheck is { } check)
            {
                var url = new Uri(project.GetEndpoint(check.EndpointName).Url(index), check.Path);
                await runner.WaitUntilHealthyAsync(async ct =>
                {
                    using var response = await healthClient.GetAsync(url, ct);
                    return response.IsSuccessStatusCode;
                }, process, TimeSpan.FromSeconds(60), cancellationToken);
            }
        }

        public async Task SuperviseAsync(CancellationToken stopping)
        {
            var backoff = TimeSpan.FromSeconds(1);
            var time = runner.Context.Time;
            while (!stopping.IsCancellationRequested && process is not null)
            {
                var startedAt = time.GetTimestamp();
                int code;
                try
                {
                    code = await process.Exited.WaitAsync(stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                // A replica that ran for a while before failing starts again quickly; one that keeps failing waits longer.
                if (time.GetElapsedTime(startedAt) > TimeSpan.FromMinutes(1)) backoff = TimeSpan.FromSeconds(1);
                runner.Context.Output.Info($"{Name}: exited with code {code}; restarting in {backoff.TotalSeconds:0} s");
                try
                {
                    await Task.Delay(backoff, time, stopping);
                    await StartAsync(stopping);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (DistributedApplicationException e)
                {
                    runner.Context.Output.Info(e.Message);
                }

                backoff = TimeSpan.FromSeconds(Math.Min(backoff.TotalSeconds * 2, 30));
            }
        }

        public int ProcessId => process?.Id ?? throw new InvalidOperationException($"{Name} is not running.");

        public int Kill()
        {
            var current = process ?? throw new InvalidOperationException($"{Name} is not running.");
            NativeMethods.SignalGroup(current.Id, NativeMethods.SIGKILL);
            return current.Id;
        }

        public async Task StopAsync()
        {
            if (process is not null) await process.StopAsync(NativeMethods.SIGTERM, TimeSpan.FromSeconds(10));
        }
    }
}
