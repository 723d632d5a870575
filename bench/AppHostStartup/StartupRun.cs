using System.Diagnostics;

namespace Platform.Bench.AppHostStartup;

internal static class StartupRun
{
    public static string FindAppHost()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            foreach (var configuration in new[] { "Release", "Debug" })
            {
                var candidate = Path.Combine(dir.FullName, "AppHost", "bin", configuration, "net10.0", "Platform.AppHost.dll");
                if (File.Exists(candidate)) return candidate;
            }
        }

        throw new FileNotFoundException("Build the AppHost first: dotnet build AppHost");
    }

    /// <summary>Starts the AppHost, waits for "Platform is ready", then stops it with SIGTERM and waits for it to exit.</summary>
    public static async Task<TimeSpan> TimeAsync(string appHost, string state)
    {
        var start = new ProcessStartInfo("dotnet", [appHost, "--state-dir", state, "--random-ports"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var stopwatch = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data?.StartsWith("Platform is ready", StringComparison.Ordinal) == true) ready.TrySetResult(); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) Console.Error.WriteLine(e.Data); };
        process.Exited += (_, _) => ready.TrySetException(new InvalidOperationException($"The AppHost exited with {process.ExitCode} before it was ready."));
        process.EnableRaisingEvents = true;
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        await ready.Task.WaitAsync(TimeSpan.FromMinutes(5));
        var elapsed = stopwatch.Elapsed;
        Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]).WaitForExit();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
        return elapsed;
    }
}
