using System.Diagnostics;
using System.Text;

namespace Platform.Hosting.Testing;

/// <summary>
/// A folder of the repository with npm packages (package.json and package-lock.json) that tests run scripts from:
/// independent clients, Playwright driving Debian's Chromium, oracles. The packages are installed with <c>npm ci</c>
/// when the lock file is newer than what is installed, once per test process; Chromium comes from Debian through
/// <see cref="DebianPackages"/>, never from a browser download.
/// </summary>
public sealed class NodeFolder
{
    private readonly SemaphoreSlim installGate = new(1, 1);
    private bool installed;

    private NodeFolder(string path) => Path = path;

    public string Path { get; }

    /// <summary>The folder at this path under the repository's root (the folder above the tests holding Platform.sln).</summary>
    public static NodeFolder InRepository(string relativePath)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(System.IO.Path.Combine(directory.FullName, "Platform.sln")))
            {
                return new NodeFolder(System.IO.Path.Combine(directory.FullName, relativePath));
            }
        }

        throw new InvalidOperationException("Platform.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>Installs the npm packages if needed, and Debian's Chromium for scripts that drive a browser.</summary>
    public async Task InstallAsync(bool chromium = true)
    {
        await installGate.WaitAsync();
        try
        {
            if (installed) return;
            // Through the harness's installer, which takes turns with every other process that installs packages.
            if (chromium) await DebianPackages.EnsureAsync("chromium", ["chromium"]);
            var stamp = System.IO.Path.Combine(Path, "node_modules", ".package-lock.json");
            if (!File.Exists(stamp) || File.GetLastWriteTimeUtc(stamp) < File.GetLastWriteTimeUtc(System.IO.Path.Combine(Path, "package-lock.json")))
            {
                var (exitCode, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"], TimeSpan.FromMinutes(5));
                if (exitCode != 0) throw new InvalidOperationException($"npm ci in {Path} failed ({exitCode}):{Environment.NewLine}{output}");
            }

            installed = true;
        }
        finally
        {
            installGate.Release();
        }
    }

    /// <summary>Runs a program in the folder (stopped with its children after <paramref name="timeout"/>): its exit code and output.</summary>
    public async Task<(int ExitCode, string Output)> RunAsync(string program, IReadOnlyList<string> arguments, TimeSpan timeout,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var start = new ProcessStartInfo(program)
        {
            WorkingDirectory = Path,
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
        return (process.ExitCode, output.ToString());
    }
}
