using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.RegularExpressions;

namespace Platform.AppHost.Tests;

/// <summary>
/// <c>dotnet Platform.AppHost.dll</c> as a user starts it (dashboard on, a state folder and gateway port of its own),
/// waited on until it prints "Platform is ready".
/// </summary>
internal sealed partial class RunningAppHost : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly TaskCompletionSource ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private RunningAppHost(Process process, string stateDirectory, string marker, int gatewayPort, IReadOnlyDictionary<string, string> parameters)
    {
        this.process = process;
        StateDirectory = stateDirectory;
        Marker = marker;
        GatewayPort = gatewayPort;
        Parameters = parameters;
    }

    public string StateDirectory { get; }

    /// <summary>The value of <see cref="ProcessTable.MarkerVariable"/> every process of this run inherits.</summary>
    public string Marker { get; }

    public int GatewayPort { get; }

    /// <summary>Secret parameters given on the command line, so a test knows values that must never be shown.</summary>
    public IReadOnlyDictionary<string, string> Parameters { get; }

    public int Pid => process.Id;

    public bool HasExited => process.HasExited;

    public string Output { get { lock (output) return output.ToString(); } }

    /// <summary>The dashboard's login address with its token, as printed.</summary>
    public Uri LoginUrl => LoginLine().Match(Output) is { Success: true } match ? new Uri(match.Value) : throw new InvalidOperationException($"No login URL printed:{Environment.NewLine}{Output}");

    /// <summary>Starts the AppHost; with <paramref name="only"/>, just those resources and what they need (<c>--only</c>).</summary>
    public static async Task<RunningAppHost> StartAsync(string? only = null)
    {
        var state = Path.Combine(Path.GetTempPath(), $"apphost-run-{Guid.NewGuid():n}"[..24]);
        var marker = Guid.NewGuid().ToString("n");
        var gatewayPort = FreePort();
        var parameters = new Dictionary<string, string>
        {
            ["keys-admin-token"] = $"kat{Guid.NewGuid():n}",
            ["audit-reader-token"] = $"art{Guid.NewGuid():n}",
            ["postgres-password"] = $"pgp{Guid.NewGuid():n}",
        };

        // Through `env --default-signal=INT`, which then runs dotnet in its place: a test run started in the background
        // (`cmd &` in a script) inherits SIGINT ignored, and .NET keeps an ignored SIGINT ignored, so Ctrl+C as a
        // user sends it would never arrive. The AppHost is what is tested here, not how the tests were started.
        var start = new ProcessStartInfo("env")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in (string[])["--default-signal=INT", "dotnet", AppHostProcess.AppHostDll, "--no-containers", "--resource-logs", "--state-dir", state, $"--Platform:GatewayPort={gatewayPort}"])
        {
            start.ArgumentList.Add(a);
        }

        foreach (var (name, value) in parameters) start.ArgumentList.Add($"--Parameters:{name}={value}");
        if (only is not null)
        {
            start.ArgumentList.Add("--only");
            start.ArgumentList.Add(only);
        }

        SetEnvironment(start, marker);
        var process = new Process { StartInfo = start };
        var run = new RunningAppHost(process, state, marker, gatewayPort, parameters);
        process.OutputDataReceived += (_, e) => run.Append(e.Data);
        process.ErrorDataReceived += (_, e) => run.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await run.ready.Task.WaitAsync(TimeSpan.FromMinutes(3));
        }
        catch (Exception e) when (e is TimeoutException or InvalidOperationException)
        {
            await run.DisposeAsync();
            throw new TimeoutException($"The AppHost was not ready:{Environment.NewLine}{string.Join(Environment.NewLine, run.Output.Split(Environment.NewLine).Where(l => !l.Contains("Waiting for resource", StringComparison.Ordinal)).TakeLast(120))}");
        }

        return run;
    }

    /// <summary>
    /// What `dotnet run` takes from the launch profile (the dashboard's addresses, over plain HTTP on loopback), on
    /// free ports; the marker every process of the run inherits; a short OTLP timeout so the services' last flush
    /// does not hold the stop up.
    /// </summary>
    internal static void SetEnvironment(ProcessStartInfo start, string marker)
    {
        start.Environment["DOTNET_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["ASPNETCORE_URLS"] = $"http://localhost:{FreePort()}";
        start.Environment["ASPIRE_DASHBOARD_OTLP_ENDPOINT_URL"] = $"http://localhost:{FreePort()}";
        start.Environment["ASPIRE_RESOURCE_SERVICE_ENDPOINT_URL"] = $"http://localhost:{FreePort()}";
        start.Environment["ASPIRE_ALLOW_UNSECURED_TRANSPORT"] = "true";
        start.Environment["OTEL_EXPORTER_OTLP_TIMEOUT"] = "1000";
        start.Environment[ProcessTable.MarkerVariable] = marker;
    }

    /// <summary>Every process of this run now: DCP (detached, it watches the AppHost's pid) and all it runs.</summary>
    public HashSet<int> Processes() => ProcessTable.OfRun(process.Id);

    public Task<List<string>> WaitUntilNothingRunsAsync(IEnumerable<int> pids, TimeSpan timeout) =>
        ProcessTable.WaitUntilGoneAsync([.. pids, process.Id], Marker, StateDirectory, timeout);

    public void Signal(string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        try
        {
            await process.WaitForExitAsync().WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            var lines = Output.Split(Environment.NewLine);
            throw new TimeoutException($"The AppHost had not exited after {timeout.TotalSeconds:0} s. Its last output:{Environment.NewLine}{string.Join(Environment.NewLine, lines.TakeLast(40))}");
        }

        return process.ExitCode;
    }

    /// <summary>A client for the gateway that trusts exactly its development certificate from the state folder.</summary>
    public HttpClient GatewayClient()
    {
        var certificate = X509CertificateLoader.LoadPkcs12FromFile(Path.Combine(StateDirectory, "gateway", "development-certificate.pfx"), password: null);
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString() },
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{GatewayPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            var pids = Processes();
            Signal("TERM");
            try
            {
                await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60));
            }
            catch (TimeoutException)
            {
                process.Kill(entireProcessTree: true);
            }

            await WaitUntilNothingRunsAsync(pids, TimeSpan.FromSeconds(20));
        }

        process.Dispose();
        // A server that is still writing its last files as it exits can make one attempt fail: a few more, then leave it.
        for (var attempt = 0; attempt < 5 && Directory.Exists(StateDirectory); attempt++)
        {
            try
            {
                Directory.Delete(StateDirectory, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await Task.Delay(TimeSpan.FromSeconds(1));
            }
        }
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
        if (line.Contains("Platform is ready in", StringComparison.Ordinal)) ready.TrySetResult();
        // A resource that ended while the start waits for it (the banner names it "(Finished)") will not be ready.
        if (line.Contains("stopping the AppHost", StringComparison.Ordinal) || line.Contains("Unhandled exception", StringComparison.Ordinal)
            || line.Contains("Still waiting for:", StringComparison.Ordinal) && (line.Contains("(Finished", StringComparison.Ordinal) || line.Contains("(Exited", StringComparison.Ordinal)))
        {
            ready.TrySetException(new InvalidOperationException(line));
        }
    }

    [GeneratedRegex(@"https?://[^\s]+/login\?t=[0-9A-Za-z]+")]
    private static partial Regex LoginLine();
}
