using System.Globalization;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// CPU time (utime + stime, clock ticks of 10 ms) from /proc: of one process, or of every process this bench
/// started (the platform's servers and services, the bare-YARP child, wrk) except a few.
/// </summary>
internal static class CpuTime
{
    public static double Seconds(int pid) => Read(pid) is { } stat ? stat.Ticks / 100.0 : 0;

    /// <summary>Per process of the tree under this one: its CPU seconds so far.</summary>
    public static Dictionary<int, double> Descendants()
    {
        var all = Directory.EnumerateDirectories("/proc")
            .Select(d => int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? Read(pid) : null)
            .OfType<Stat>()
            .ToList();
        var inTree = new HashSet<int> { Environment.ProcessId };
        for (var grew = true; grew;)
        {
            grew = false;
            foreach (var stat in all.Where(s => !inTree.Contains(s.Pid) && inTree.Contains(s.ParentPid))) grew |= inTree.Add(stat.Pid);
        }

        return all.Where(s => s.Pid != Environment.ProcessId && inTree.Contains(s.Pid)).ToDictionary(s => s.Pid, s => s.Ticks / 100.0);
    }

    /// <summary>CPU seconds the processes of <paramref name="after"/> used since <paramref name="before"/>, except <paramref name="excluded"/>.</summary>
    public static double Used(Dictionary<int, double> before, Dictionary<int, double> after, IReadOnlySet<int> excluded) =>
        after.Where(p => !excluded.Contains(p.Key)).Sum(p => p.Value - before.GetValueOrDefault(p.Key));

    private sealed record Stat(int Pid, int ParentPid, long Ticks);

    private static Stat? Read(int pid)
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

        var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return new Stat(pid, int.Parse(fields[1], CultureInfo.InvariantCulture),
            long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture));
    }
}
