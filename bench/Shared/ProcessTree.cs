using System.Globalization;

namespace Platform.Bench;

/// <summary>One process as /proc shows it: parent, state letter (Z for a zombie) and CPU used so far (utime + stime).</summary>
internal sealed record ProcessStat(int Pid, int ParentPid, char State, long CpuTicks)
{
    /// <summary>Linux counts CPU in clock ticks of 10 ms.</summary>
    public double CpuSeconds => CpuTicks / 100.0;
}

/// <summary>
/// The processes of an Aspire application, read from /proc. DCP runs detached (its parent is PID 1, in a session of
/// its own) and is the parent of every resource and of the dashboard, so an application is the tree under the
/// AppHost process plus the tree under the DCP that monitors it (<c>dcp start-apiserver --monitor &lt;pid&gt;</c>).
/// Run by the test harness, the AppHost is the bench's own process.
/// </summary>
internal static class ProcessTree
{
    public static List<ProcessStat> All() =>
        [.. Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? Read(pid) : null)
            .OfType<ProcessStat>()];

    /// <summary>The roots and every process under them.</summary>
    public static HashSet<int> Descendants(IReadOnlyCollection<ProcessStat> all, IEnumerable<int> roots)
    {
        var tree = roots.ToHashSet();
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var stat in all.Where(s => !tree.Contains(s.Pid) && tree.Contains(s.ParentPid))) grew |= tree.Add(stat.Pid);
        }

        return tree;
    }

    /// <summary>The AppHost's processes and DCP's (DCP, its controllers and monitors, the dashboard, every resource), zombies left out.</summary>
    public static HashSet<int> Application(int appHost, IReadOnlyCollection<ProcessStat>? all = null)
    {
        all ??= All();
        var roots = all.Where(s => IsDcpOf(s.Pid, appHost)).Select(s => s.Pid).Append(appHost);
        var living = all.Where(s => s.State != 'Z').Select(s => s.Pid).ToHashSet();
        var tree = Descendants(all, roots);
        tree.IntersectWith(living);
        return tree;
    }

    public static string CommandLine(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').TrimEnd();
        }
        catch (IOException)
        {
            return "";
        }
    }

    /// <summary>The process's proportional set size (shared pages divided among their users), in bytes; 0 once it is gone.</summary>
    public static long PssBytes(int pid)
    {
        try
        {
            var line = File.ReadLines($"/proc/{pid}/smaps_rollup").FirstOrDefault(l => l.StartsWith("Pss:", StringComparison.Ordinal));
            return line is null ? 0 : long.Parse(line["Pss:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture) * 1024;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    public static ProcessStat? Read(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return null; // gone meanwhile
        }

        // The command name (field 2) may hold spaces and parentheses: the fields after it start past its last ')'.
        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new ProcessStat(pid, int.Parse(fields[1], CultureInfo.InvariantCulture), fields[0][0],
            long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
    }

    /// <summary>The children of a process, from the kernel's per-thread lists (no scan of /proc).</summary>
    public static List<int> Children(int pid)
    {
        try
        {
            return [.. Directory.EnumerateDirectories($"/proc/{pid}/task")
                .SelectMany(task => File.ReadAllText(Path.Combine(task, "children")).Split(' ', StringSplitOptions.RemoveEmptyEntries))
                .Select(child => int.Parse(child, CultureInfo.InvariantCulture))
                .Distinct()];
        }
        catch (IOException)
        {
            return [];
        }
    }

    private static bool IsDcpOf(int pid, int appHost)
    {
        var arguments = CommandLine(pid).Split(' ');
        var monitor = Array.IndexOf(arguments, "--monitor");
        return arguments.Length > 1 && Path.GetFileName(arguments[0]) == "dcp" && arguments[1] == "start-apiserver"
            && monitor > 0 && monitor + 1 < arguments.Length && arguments[monitor + 1] == appHost.ToString(CultureInfo.InvariantCulture);
    }
}
