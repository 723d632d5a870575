namespace Platform.Bench.AppHostStartup;

/// <param name="CpuPercent">Percent of one core, over the measured window.</param>
/// <param name="PssMegabytes">Proportional set size at the end of the window (shared pages divided among their users).</param>
internal sealed record UsageRow(string Group, int Processes, double CpuPercent, double PssMegabytes);

/// <summary>What an idle platform costs, per kind of process: Aspire's own (AppHost, DCP, dashboard) and the rest.</summary>
internal static class IdleUsage
{
    public static readonly string[] AspireGroups = ["AppHost", "AppHost's dotnet run", "DCP (+ monitors)", "dashboard"];

    public static async Task<List<UsageRow>> MeasureAsync(int dotnetRun, int appHost, TimeSpan window)
    {
        var before = Snapshot(dotnetRun, appHost);
        await Task.Delay(window);
        var after = Snapshot(dotnetRun, appHost);
        return [.. after.Values
            .GroupBy(p => Group(p.Pid, dotnetRun, appHost))
            .Select(g => new UsageRow(
                g.Key,
                g.Count(),
                g.Sum(p => p.CpuSeconds - (before.TryGetValue(p.Pid, out var was) ? was.CpuSeconds : 0)) / window.TotalSeconds * 100,
                g.Sum(p => ProcessTree.PssBytes(p.Pid)) / 1e6))
            .OrderBy(r => Array.IndexOf(AspireGroups, r.Group) is var i and >= 0 ? i : AspireGroups.Length)
            .ThenBy(r => r.Group, StringComparer.Ordinal)];
    }

    private static Dictionary<int, ProcessStat> Snapshot(int dotnetRun, int appHost)
    {
        var all = ProcessTree.All();
        var tree = ProcessTree.Application(appHost, all);
        tree.Add(dotnetRun);
        return all.Where(p => tree.Contains(p.Pid)).ToDictionary(p => p.Pid);
    }

    private static string Group(int pid, int dotnetRun, int appHost)
    {
        if (pid == appHost) return AspireGroups[0];
        if (pid == dotnetRun) return AspireGroups[1];
        var commandLine = ProcessTree.CommandLine(pid);
        return Path.GetFileName(commandLine.Split(' ')[0]) switch
        {
            "dcp" => AspireGroups[2],
            "Aspire.Dashboard" => AspireGroups[3],
            _ when commandLine.StartsWith("dotnet run ", StringComparison.Ordinal) => "services' dotnet run",
            var program when program.StartsWith("Platform.", StringComparison.Ordinal) => "services",
            _ => "servers (PostgreSQL, Redis, RabbitMQ)",
        };
    }
}
