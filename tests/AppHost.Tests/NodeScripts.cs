using System.Diagnostics;
using System.Text;

namespace Platform.AppHost.Tests;

/// <summary>
/// The Playwright scripts in <c>tests/AppHost.Tests/node</c>, as identity's page tests run theirs: the npm packages
/// with <c>npm ci</c> once, Debian's Chromium (installed by the caller through DebianPackages), never a browser download.
/// </summary>
internal static class NodeScripts
{
    private static readonly SemaphoreSlim installGate = new(1, 1);

    public static string Folder { get; } = Path.Combine(AppHostProcess.RepositoryRoot, "tests", "AppHost.Tests", "node");

    public static async Task InstallAsync()
    {
        await installGate.WaitAsync();
        try
        {
            var stamp = Path.Combine(Folder, "node_modules", ".package-lock.json");
            if (!File.Exists(stamp) || File.GetLastWriteTimeUtc(stamp) < File.GetLastWriteTimeUtc(Path.Combine(Folder, "package-lock.json")))
            {
                var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
                if (code != 0) throw new InvalidOperationException($"npm ci failed ({code}):\n{output}");
            }
        }
        finally
        {
            installGate.Release();
        }
    }

    public static Task<(int ExitCode, string Output)> RunAsync(string script, TimeSpan timeout, IReadOnlyDictionary<string, string> environment) =>
        RunAsync("node", [script], timeout, environment);

    private static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = Folder, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        start.Environment["PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) start.Environment[name] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {program}.");
        var output = new StringBuilder();
        var stdout = Task.Run(async () => { while (await process.StandardOutput.ReadLineAsync() is { } line) lock (output) output.AppendLine(line); });
        var stderr = Task.Run(async () => { while (await process.StandardError.ReadLineAsync() is { } line) lock (output) output.AppendLine("stderr: " + line); });
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }

        await Task.WhenAll(stdout, stderr);
        return (process.ExitCode, output.ToString());
    }
}
