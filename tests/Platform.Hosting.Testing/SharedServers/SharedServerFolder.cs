using System.Diagnostics;
using System.Globalization;

namespace Platform.Hosting.Testing.SharedServers;

/// <summary>
/// The folder through which the test processes of one run share one server set: <c>servers.json</c> (written by the
/// host once the servers are healthy), <c>clients/&lt;pid&gt;</c> (one per test process using them), the host's pid
/// and log, and a lock file that every step takes in turn. One folder per build of the AppHost, so that two
/// checkouts (or two branches) never share servers configured differently.
/// </summary>
internal sealed class SharedServerFolder
{
    /// <summary>A host that was launched but has not written its pid yet counts as starting for this long.</summary>
    private static readonly TimeSpan launchPatience = TimeSpan.FromSeconds(60);

    public SharedServerFolder(string path)
    {
        Path = path;
        Directory.CreateDirectory(ClientsPath);
    }

    /// <summary>The folder for the AppHost these tests were built with.</summary>
    public static SharedServerFolder ForThisBuild()
    {
        var build = typeof(Platform.AppHost.Servers.StateFolder).Assembly.ManifestModule.ModuleVersionId.ToString("n")[..12];
        return new SharedServerFolder(System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"platform-shared-servers-{Environment.UserName}-{build}"));
    }

    public string Path { get; }

    public string ServersPath => System.IO.Path.Combine(Path, "servers.json");

    public string FailurePath => System.IO.Path.Combine(Path, "failed.txt");

    public string LogPath => System.IO.Path.Combine(Path, "host.log");

    private string ClientsPath => System.IO.Path.Combine(Path, "clients");

    private string HostPidPath => System.IO.Path.Combine(Path, "host.pid");

    private string LaunchedPath => System.IO.Path.Combine(Path, "launched");

    private string LeaseCounterPath => System.IO.Path.Combine(Path, "next-lease");

    /// <summary>Every step that reads or changes the folder holds this (an exclusive flock, released if the process dies).</summary>
    public async Task<IDisposable> LockAsync(CancellationToken cancellationToken = default)
    {
        while (true)
        {
            try
            {
                // On Unix, .NET takes FileShare.None as an exclusive flock on the open file.
                return new FileStream(System.IO.Path.Combine(Path, "lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException)
            {
                await Task.Delay(50, cancellationToken);
            }
        }
    }

    /// <summary>The running host's pid, or null when none runs; a host launched moments ago counts as running (0).</summary>
    public int? LiveHost()
    {
        if (File.Exists(HostPidPath) && int.TryParse(File.ReadAllText(HostPidPath), CultureInfo.InvariantCulture, out var pid))
        {
            return Alive(pid) ? pid : null;
        }

        return File.Exists(LaunchedPath) && DateTime.UtcNow - File.GetLastWriteTimeUtc(LaunchedPath) < launchPatience ? 0 : null;
    }

    /// <summary>Starts a host in a session of its own, so that it outlives the test process that launched it.</summary>
    public void LaunchHost()
    {
        foreach (var stale in new[] { HostPidPath, ServersPath, FailurePath, LogPath }) File.Delete(stale);
        File.WriteAllText(LaunchedPath, "");
        var assembly = typeof(SharedServerHost).Assembly.Location;
        var folder = System.IO.Path.GetDirectoryName(assembly)!;
        // The test project's own dependency and runtime files: they list everything this assembly needs.
        var deps = (string)AppContext.GetData("APP_CONTEXT_DEPS_FILES")!;
        var project = System.IO.Path.GetFileName(deps.Split(';')[0])[..^".deps.json".Length];
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in new[]
        {
            "-f", "sh", "-c", "exec \"$0\" \"$@\" </dev/null >>\"$LOG\" 2>&1",
            "dotnet", "exec",
            "--runtimeconfig", System.IO.Path.Combine(folder, project + ".runtimeconfig.json"),
            "--depsfile", System.IO.Path.Combine(folder, project + ".deps.json"),
            assembly, SharedServerHost.Command, Path,
        })
        {
            start.ArgumentList.Add(argument);
        }

        start.Environment["LOG"] = LogPath;
        using var launcher = Process.Start(start)!;
        launcher.WaitForExit();
    }

    public void WriteHostPid() => File.WriteAllText(HostPidPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture));

    public void RemoveHost()
    {
        File.Delete(ServersPath);
        File.Delete(HostPidPath);
        File.Delete(LaunchedPath);
    }

    public void RegisterClient() => File.WriteAllText(System.IO.Path.Combine(ClientsPath, Environment.ProcessId.ToString(CultureInfo.InvariantCulture)), "");

    /// <summary>How many test processes still use the servers (the files of ended ones are removed on the way).</summary>
    public int CountLiveClients()
    {
        var live = 0;
        foreach (var file in Directory.EnumerateFiles(ClientsPath))
        {
            if (int.TryParse(System.IO.Path.GetFileName(file), CultureInfo.InvariantCulture, out var pid) && Alive(pid)) live++;
            else File.Delete(file);
        }

        return live;
    }

    /// <summary>A lease number unique in this server set (databases, virtual hosts and Redis databases are named by it).</summary>
    public int NextLease()
    {
        var next = File.Exists(LeaseCounterPath) && int.TryParse(File.ReadAllText(LeaseCounterPath), CultureInfo.InvariantCulture, out var n) ? n : 1;
        File.WriteAllText(LeaseCounterPath, (next + 1).ToString(CultureInfo.InvariantCulture));
        return next;
    }

    public static bool Alive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
