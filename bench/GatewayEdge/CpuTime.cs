using System.Globalization;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// CPU time (utime + stime, clock ticks of 10 ms) from /proc: of one process, or of every process this bench
/// started (the platform's servers and services, the bare-YARP child, wrk) except a few.
/// </summary>
internal static class CpuTime
{
    /// <summary>A proxy's CPU seconds: its process and its children (nginx's workers; the .NET proxies have none).</summary>
    public static double Seconds(int pid) =>
        (ProcessTree.Read(pid)?.CpuSeconds ?? 0) + ProcessTree.Children(pid).Sum(child => ProcessTree.Read(child)?.CpuSeconds ?? 0);

    /// <summary>
    /// CPU seconds of a .NET process's background tiered-compilation thread (it exits when idle, so this can fall).
    /// </summary>
    public static double TieredCompilationSeconds(int pid)
    {
        var ticks = 0L;
        foreach (var task in Directory.EnumerateDirectories($"/proc/{pid}/task"))
        {
            try
            {
                if (!File.ReadAllText(Path.Combine(task, "comm")).StartsWith(".NET Tiered Com", StringComparison.Ordinal)) continue;
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                ticks += long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return ticks / 100.0;
    }

    /// <summary>
    /// A process's CPU seconds so far per kind of thread, from each thread's name (/proc/pid/task/*/comm): the .NET
    /// runtime names its threads (".NET TP Worker" the thread pool, where requests run; ".NET Server GC"; ".NET Tiered
    /// Com" the JIT; ".NET SigHandler"…); nginx's workers are whole processes (children), counted as "workers".
    /// </summary>
    public static Dictionary<string, double> ByThread(int pid)
    {
        var seconds = new Dictionary<string, double>(StringComparer.Ordinal);
        foreach (var task in SafeEnumerate($"/proc/{pid}/task"))
        {
            try
            {
                var kind = ThreadKind(File.ReadAllText(Path.Combine(task, "comm")).Trim());
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                seconds[kind] = seconds.GetValueOrDefault(kind) + (long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture)) / 100.0;
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        foreach (var child in ProcessTree.Children(pid)) seconds["workers"] = seconds.GetValueOrDefault("workers") + (ProcessTree.Read(child)?.CpuSeconds ?? 0);
        return seconds;
    }

    private static string ThreadKind(string comm) => comm switch
    {
        _ when comm.StartsWith(".NET TP Worker", StringComparison.Ordinal) => "thread pool",
        _ when comm.StartsWith(".NET Server GC", StringComparison.Ordinal) || comm.StartsWith(".NET BGC", StringComparison.Ordinal) || comm.StartsWith(".NET GC", StringComparison.Ordinal) => "GC",
        _ when comm.StartsWith(".NET Tiered Com", StringComparison.Ordinal) => "JIT",
        _ when comm.StartsWith(".NET Sockets", StringComparison.Ordinal) || comm.StartsWith(".NET SocketsEvent", StringComparison.Ordinal) => "socket events",
        _ when comm.StartsWith(".NET TP Gate", StringComparison.Ordinal) || comm.StartsWith(".NET Timer", StringComparison.Ordinal) || comm.StartsWith(".NET Long Running", StringComparison.Ordinal) => "timers and long-running",
        _ => "other",
    };

    private static IEnumerable<string> SafeEnumerate(string directory)
    {
        try
        {
            return Directory.EnumerateDirectories(directory).ToList();
        }
        catch (IOException)
        {
            return [];
        }
    }

    /// <summary>
    /// Per process this bench started, itself left out: its CPU seconds so far. The harness's DCP runs detached, so
    /// its tree (the servers, the services under their <c>dotnet run</c>, DCP's proxies) is found by the pid it monitors.
    /// </summary>
    public static Dictionary<int, double> Descendants()
    {
        var all = ProcessTree.All();
        var tree = ProcessTree.Application(Environment.ProcessId, all);
        return all.Where(s => s.Pid != Environment.ProcessId && tree.Contains(s.Pid)).ToDictionary(s => s.Pid, s => s.CpuSeconds);
    }

    /// <summary>CPU seconds the processes of <paramref name="after"/> used since <paramref name="before"/>, except <paramref name="excluded"/>.</summary>
    public static double Used(Dictionary<int, double> before, Dictionary<int, double> after, IReadOnlySet<int> excluded) =>
        after.Where(p => !excluded.Contains(p.Key)).Sum(p => p.Value - before.GetValueOrDefault(p.Key));

    /// <summary>As <see cref="Used"/>, per component: the server or service a process belongs to.</summary>
    public static Dictionary<string, double> UsedByComponent(Dictionary<int, double> before, Dictionary<int, double> after, IReadOnlySet<int> excluded) =>
        after.Where(p => !excluded.Contains(p.Key))
            .GroupBy(p => Component(p.Key))
            .ToDictionary(g => g.Key, g => g.Sum(p => p.Value - before.GetValueOrDefault(p.Key)));

    /// <summary>What a process is, from its command line: <c>redis</c>, <c>rabbitmq</c>, <c>postgres</c>, <c>audit</c>, <c>keys</c>…</summary>
    private static string Component(int pid)
    {
        var commandLine = ProcessTree.CommandLine(pid);
        if (commandLine.Length == 0) return "ended";
        if (commandLine.Contains("redis-server", StringComparison.Ordinal)) return "redis";
        if (System.IO.Path.GetFileName(commandLine.Split(' ')[0]) == "dcp") return "dcp";
        if (commandLine.StartsWith("dotnet run ", StringComparison.Ordinal)) return "dotnet run";
        if (commandLine.Contains("beam.smp", StringComparison.Ordinal) || commandLine.Contains("epmd", StringComparison.Ordinal)) return "rabbitmq";
        if (commandLine.StartsWith("postgres", StringComparison.Ordinal) || commandLine.Contains("/postgres ", StringComparison.Ordinal)) return "postgres";
        // A service runs as its apphost (bin/…/Platform.Keys) under `dotnet run`, or as `dotnet Platform.Keys.dll`.
        var service = System.Text.RegularExpressions.Regex.Match(commandLine, @"/Platform\.(\w+)(?:\.dll)?(?: |$)");
        return service.Success ? service.Groups[1].Value.ToLowerInvariant() : "other";
    }

    /// <summary>
    /// Waits until the processes this bench started (but <paramref name="excluded"/>) use under 10% of a core — the
    /// audit pipeline has caught up — so that one run's backlog does not slow the next; at most <paramref name="limit"/>.
    /// </summary>
    public static async Task<TimeSpan> WaitForQuietAsync(IReadOnlySet<int> excluded, TimeSpan limit)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (waited.Elapsed < limit)
        {
            var before = Descendants();
            await Task.Delay(TimeSpan.FromSeconds(1));
            if (Used(before, Descendants(), excluded) < 0.1) break;
        }

        return waited.Elapsed;
    }
}
