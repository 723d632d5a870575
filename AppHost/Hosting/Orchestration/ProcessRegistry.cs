using System.Diagnostics;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Records the process group of everything the AppHost starts, and keeps a watchdog beside it: a small shell
/// loop in its own session that ends those groups if the AppHost (or the test host running it) dies without
/// stopping them — killed, crashed or interrupted. A clean stop empties the record first.
/// </summary>
internal sealed class ProcessRegistry : IDisposable
{
    private const string WatchdogScript = """
        parent="$1"; record="$2"; throwaway="$3"
        while kill -0 "$parent" 2>/dev/null; do sleep 0.5; done
        if [ ! -s "$record" ]; then [ -n "$throwaway" ] && rm -rf -- "$throwaway"; exit 0; fi
        while read -r group; do kill -TERM -- "-$group" 2>/dev/null; done < "$record"
        for _ in $(seq 1 20); do
          alive=0
          while read -r group; do kill -0 -- "-$group" 2>/dev/null && alive=1; done < "$record"
          [ "$alive" = 0 ] && break
          sleep 0.5
        done
        while read -r group; do kill -KILL -- "-$group" 2>/dev/null; done < "$record"
        rm -f "$record"
        [ -n "$throwaway" ] && rm -rf -- "$throwaway"
        """;

    private readonly string recordPath;
    private readonly HashSet<int> groups = [];
    private readonly Lock gate = new();
    private Process? watchdog;

    public ProcessRegistry(string stateDirectory)
    {
        recordPath = Path.Combine(stateDirectory, "processes");
        File.WriteAllText(recordPath, "");
    }

    /// <param name="throwawayDirectory">A folder the watchdog deletes once the processes are gone (test state).</param>
    public void StartWatchdog(string? throwawayDirectory)
    {
        var start = new ProcessStartInfo("setsid", ["bash", "-c", WatchdogScript, "watchdog", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture), recordPath, throwawayDirectory ?? ""])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = false,
            RedirectStandardError = false,
        };
        watchdog = Process.Start(start);
    }

    public void Add(int group)
    {
        lock (gate)
        {
            groups.Add(group);
            Save();
        }
    }

    public void Remove(int group)
    {
        lock (gate)
        {
            groups.Remove(group);
            Save();
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            groups.Clear();
            Save();
        }

        if (watchdog is { HasExited: false })
        {
            watchdog.Kill();
        }

        watchdog?.Dispose();
    }

    private void Save()
    {
        var temp = recordPath + ".tmp";
        File.WriteAllLines(temp, groups.Select(g => g.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        File.Move(temp, recordPath, overwrite: true);
    }
}
