using System.Diagnostics;
using System.Text;

namespace Platform.AppHost.Tests;

/// <summary>`dotnet Platform.AppHost.dll --state-dir … --random-ports`, waited on until "Platform is ready".</summary>
internal sealed class RunningAppHost : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();

    private RunningAppHost(Process process, string stateDirectory)
    {
        this.process = process;
        StateDirectory = stateDirectory;
    }

    public string StateDirectory { get; }

    public string Output { get { lock (output) return output.ToString(); } }

    public static async Task<RunningAppHost> StartAsync()
    {
        var state = Path.Combine(Path.GetTempPath(), $"apphost-life-{Guid.NewGuid():n}");
        // Through `env --default-signal=INT`, which then runs dotnet in its place: a test run started in the background
        // (`cmd &` in a script) inherits SIGINT ignored, and .NET keeps an ignored SIGINT ignored, so Ctrl+C as a
        // user sends it would never arrive. The AppHost is what is tested here, not how the tests were started.
        var start = new ProcessStartInfo("env", ["--default-signal=INT", "dotnet", Path.Combine(AppContext.BaseDirectory, "Platform.AppHost.dll"), "--state-dir", state, "--random-ports"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var process = new Process { StartInfo = start };
        var run = new RunningAppHost(process, state);
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) => run.Append(e.Data, ready);
        process.ErrorDataReceived += (_, e) => run.Append(e.Data, ready);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(TimeSpan.FromMinutes(3));
        }
        catch (TimeoutException)
        {
            await run.DisposeAsync();
            throw new TimeoutException($"The AppHost was not ready in time:{Environment.NewLine}{run.Output}");
        }

        return run;
    }

    public IReadOnlyList<int> ProcessGroups() =>
        File.ReadAllLines(Path.Combine(StateDirectory, "processes")).Where(l => l.Length > 0).Select(int.Parse).ToList();

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
            // What the AppHost last said tells which resource it was waiting on.
            var lines = Output.Split(Environment.NewLine);
            throw new TimeoutException($"The AppHost had not exited after {timeout.TotalSeconds:0} s. Its last output:{Environment.NewLine}{string.Join(Environment.NewLine, lines.TakeLast(40))}");
        }

        return process.ExitCode;
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            Signal("TERM");
            try { await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(60)); }
            catch (TimeoutException) { process.Kill(entireProcessTree: true); }
        }

        process.Dispose();
        await Task.Delay(TimeSpan.FromSeconds(1));
        if (Directory.Exists(StateDirectory)) Directory.Delete(StateDirectory, recursive: true);
    }

    private void Append(string? line, TaskCompletionSource ready)
    {
        if (line is null) return;
        lock (output) output.AppendLine(line);
        if (line.StartsWith("Platform is ready", StringComparison.Ordinal)) ready.TrySetResult();
        if (line.StartsWith("error:", StringComparison.Ordinal)) ready.TrySetException(new InvalidOperationException(Output));
    }
}
