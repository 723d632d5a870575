using System.Diagnostics;
using System.Reflection;
using System.Text;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>
/// The built gateway run as its own process (<c>dotnet Platform.Gateway.dll</c> in <c>gateway/</c>), configured only
/// through environment variables, as a deployment runs it. Disposing kills it.
/// </summary>
internal sealed class GatewayProcess : IAsyncDisposable
{
    // Inherited variables that would configure the gateway behind the test's back.
    private static readonly string[] InheritedPrefixes = ["Gateway__", "ConnectionStrings__", "ASPNETCORE_", "OTEL_", "Logging__", "ReverseProxy__"];

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private GatewayProcess(Process process, int httpsPort, int internalPort)
    {
        _process = process;
        HttpsPort = httpsPort;
        InternalPort = internalPort;
    }

    public int HttpsPort { get; }

    public int InternalPort { get; }

    public int ProcessId => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the gateway wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get
        {
            lock (_output) return _output.ToString();
        }
    }

    /// <summary>
    /// Waits until the gateway has written <paramref name="text"/> (its console logger writes from a queue of its own,
    /// so a line can arrive after the answer it explains); fails naming the text after <paramref name="timeout"/>.
    /// </summary>
    public async Task WaitForOutputAsync(string text, TimeSpan timeout)
    {
        var waited = Stopwatch.StartNew();
        while (!Output.Contains(text, StringComparison.Ordinal))
        {
            Assert.True(waited.Elapsed < timeout, $"The gateway did not write '{text}' within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>
    /// Starts the gateway on two free loopback ports, in Development, with an audit spool under
    /// <paramref name="workDirectory"/>; <paramref name="settings"/> add or override environment variables.
    /// </summary>
    public static GatewayProcess Start(string workDirectory, IReadOnlyDictionary<string, string> settings)
    {
        var ports = FreePorts.Take(2);
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = Metadata("GatewayProjectDirectory"),
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Metadata("GatewayAssembly"));
        foreach (var name in start.Environment.Keys.Where(name => InheritedPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))).ToList())
        {
            start.Environment.Remove(name);
        }

        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development";
        start.Environment["Gateway__HttpsPort"] = ports[0].ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Gateway__InternalPort"] = ports[1].ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["Gateway__BindAddress"] = "127.0.0.1";
        start.Environment["Gateway__Audit__SpoolDirectory"] = Path.Combine(workDirectory, "audit-spool");
        foreach (var (name, value) in settings)
        {
            start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start };
        var gateway = new GatewayProcess(process, ports[0], ports[1]);
        process.OutputDataReceived += (_, line) => gateway.Append(line.Data);
        process.ErrorDataReceived += (_, line) => gateway.Append(line.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return gateway;
    }

    /// <summary>Waits until the internal listener answers <c>/alive</c>; fails with the gateway's output otherwise.</summary>
    public async Task WaitUntilReadyAsync(TimeSpan timeout)
    {
        using var client = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < timeout)
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                Assert.Fail($"The gateway exited with {_process.ExitCode} while starting:{Environment.NewLine}{Output}");
            }

            try
            {
                using var response = await client.GetAsync($"http://127.0.0.1:{InternalPort}/alive");
                if (response.IsSuccessStatusCode) return;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            catch (TaskCanceledException)
            {
                // Listening but not answering yet.
            }

            await Task.Delay(100);
        }

        Assert.Fail($"The gateway did not become ready within {timeout.TotalSeconds:0} s:{Environment.NewLine}{Output}");
    }

    /// <summary>The exit code, once the gateway has exited by itself; fails if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancellation = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The gateway was still running after {timeout.TotalSeconds:0} s:{Environment.NewLine}{Output}");
        }

        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            using var cancellation = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await _process.WaitForExitAsync(cancellation.Token);
        }
        catch (InvalidOperationException)
        {
            // Never started.
        }
        finally
        {
            _process.Dispose();
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    private static string Metadata(string key) =>
        typeof(GatewayProcess).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(attribute => attribute.Key == key).Value
        ?? throw new InvalidOperationException($"Assembly metadata '{key}' is empty.");
}
