using System.Diagnostics;

namespace Platform.AppHost.Tests;

/// <summary>Runs the built AppHost as a user would (<c>dotnet Platform.AppHost.dll …</c>) until it exits, and collects what it prints.</summary>
internal static class AppHostProcess
{
    public static string RepositoryRoot { get; } = FindRepositoryRoot();

    public static string AppHostDll { get; } = Path.Combine(AppContext.BaseDirectory, "Platform.AppHost.dll");

    public static async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, string[] args, string? workingDirectory = null, string? marker = null)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(AppHostDll);
        foreach (var a in args) start.ArgumentList.Add(a);
        if (workingDirectory is not null) start.WorkingDirectory = workingDirectory;
        RunningAppHost.SetEnvironment(start, marker ?? Guid.NewGuid().ToString("n"));
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"The AppHost did not exit within {timeout}: {await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }

    private static string FindRepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Platform.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("Platform.sln not found above the test folder.");
    }
}
