using System.Diagnostics;
using System.Text;
using Platform.Hosting.Testing;

namespace Platform.Console.Tests;

/// <summary>
/// Runs <c>tests/Console.Tests/node</c> (Playwright driving Debian's Chromium, axe-core): Chromium through
/// <see cref="DebianPackages"/> when missing, the npm packages with <c>npm ci</c> once; never a browser download.
/// </summary>
internal static class NodeBrowser
{
    private static readonly SemaphoreSlim installGate = new(1, 1);
    private static bool installed;

    public static string Folder { get; } = FindFolder();

    private static string FindFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "tests", "Console.Tests", "node");
            if (File.Exists(Path.Combine(candidate, "package.json"))) return candidate;
        }

        throw new InvalidOperationException("tests/Console.Tests/node not found above " + AppContext.BaseDirectory);
    }

    public static async Task InstallAsync()
    {
        await installGate.WaitAsync();
        try
        {
            if (installed) return;
            await DebianPackages.EnsureAsync("chromium", ["chromium"]);
            var stamp = Path.Combine(Folder, "node_modules", ".package-lock.json");
            if (!File.Exists(stamp) || File.GetLastWriteTimeUtc(stamp) < File.GetLastWriteTimeUtc(Path.Combine(Folder, "package-lock.json")))
            {
                var (exitCode, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
                if (exitCode != 0) throw new InvalidOperationException("npm ci failed:\n" + output);
            }

            installed = true;
        }
        finally
        {
            installGate.Release();
        }
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
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
        return (process.HasExited ? process.ExitCode : -1, output.ToString());
    }
}
