namespace Platform.AppHost.Tests;

/// <summary>
/// What runs on this machine, read from /proc: the processes of one AppHost run are its descendants (DCP, the
/// dashboard, the services, the servers) and whatever carries the run's marker variable in its environment (which
/// DCP passes on) or works in its state folder. Zombies count as gone (this VM's init does not reap DCP's).
/// </summary>
internal static class ProcessTable
{
    public const string MarkerVariable = "PLATFORM_APPHOST_TEST_RUN";

    public static HashSet<int> Descendants(int root)
    {
        var children = Processes().GroupBy(p => p.Parent).ToDictionary(g => g.Key, g => g.Select(p => p.Pid).ToList());
        var found = new HashSet<int>();
        var pending = new Stack<int>([root]);
        while (pending.TryPop(out var pid))
        {
            foreach (var child in children.GetValueOrDefault(pid, []))
            {
                if (found.Add(child)) pending.Push(child);
            }
        }

        return found;
    }

    /// <summary>
    /// The AppHost's descendants and DCP's: DCP detaches (its parent is then init) and is found by the AppHost's pid
    /// it was told to watch (<c>--monitor &lt;pid&gt;</c>).
    /// </summary>
    public static HashSet<int> OfRun(int appHost)
    {
        var run = Descendants(appHost);
        foreach (var (pid, _, _) in Processes().Where(p => CommandLine(p.Pid).Contains($"--monitor {appHost} ", StringComparison.Ordinal)).ToList())
        {
            run.Add(pid);
            run.UnionWith(Descendants(pid));
        }

        return run;
    }

    /// <summary>Live processes among <paramref name="pids"/> or of the run with this marker or state folder, as "pid command".</summary>
    public static List<string> Alive(IEnumerable<int> pids, string marker, string stateDirectory)
    {
        var known = pids.ToHashSet();
        return Processes()
            .Where(p => p.State != 'Z' && p.Pid != Environment.ProcessId)
            .Where(p => known.Contains(p.Pid) || Environ(p.Pid).Contains($"{MarkerVariable}={marker}", StringComparison.Ordinal)
                || Cwd(p.Pid).StartsWith(stateDirectory, StringComparison.Ordinal) || CommandLine(p.Pid).Contains(stateDirectory, StringComparison.Ordinal))
            .Select(p => $"{p.Pid} {CommandLine(p.Pid)}")
            .ToList();
    }

    /// <summary>Waits until nothing of the run is alive; returns what still is after the timeout.</summary>
    public static async Task<List<string>> WaitUntilGoneAsync(IEnumerable<int> pids, string marker, string stateDirectory, TimeSpan timeout)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var pidList = pids.ToList();
        while (true)
        {
            var alive = Alive(pidList, marker, stateDirectory);
            if (alive.Count == 0 || waited.Elapsed > timeout) return alive;
            await Task.Delay(250);
        }
    }

    /// <summary>The first process named <paramref name="comm"/> among <paramref name="pid"/> and its descendants.</summary>
    public static int? Find(int pid, string comm) =>
        new[] { pid }.Concat(Descendants(pid)).FirstOrDefault(p => Comm(p) == comm) is var found && found != 0 ? found : null;

    public static string CommandLine(int pid) => Read($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();

    private static string Comm(int pid) => Read($"/proc/{pid}/comm").Trim();

    private static string Environ(int pid) => Read($"/proc/{pid}/environ").Replace('\0', '\n');

    private static string Cwd(int pid)
    {
        try
        {
            return new DirectoryInfo($"/proc/{pid}/cwd").LinkTarget ?? "";
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }

    private static IEnumerable<(int Pid, int Parent, char State)> Processes()
    {
        foreach (var directory in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(directory), out var pid)) continue;
            // "pid (comm) S ppid …": the command may hold spaces and parentheses, so read after the last ')'.
            var stat = Read(Path.Combine(directory, "stat"));
            var end = stat.LastIndexOf(')');
            if (end < 0) continue;
            var fields = stat[(end + 2)..].Split(' ');
            if (fields.Length < 2 || !int.TryParse(fields[1], out var parent)) continue;
            yield return (pid, parent, fields[0][0]);
        }
    }

    private static string Read(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return "";
        }
    }
}
