using System.Collections.Concurrent;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// Every resource's console output, prefixed with its name as Aspire's dashboard shows it, with the last lines
/// kept so that a failure can say what the resource printed.
/// </summary>
internal sealed class ResourceOutput(Action<string, string>? sink)
{
    private const int KeptLines = 60;
    private static readonly ConsoleColor[] colors = [ConsoleColor.Cyan, ConsoleColor.Green, ConsoleColor.Magenta, ConsoleColor.Yellow, ConsoleColor.Blue, ConsoleColor.DarkCyan, ConsoleColor.DarkGreen, ConsoleColor.DarkYellow];
    private readonly ConcurrentDictionary<string, Queue<string>> recent = new();
    private readonly Lock consoleLock = new();

    public void Write(string resource, string line)
    {
        var queue = recent.GetOrAdd(resource, _ => new Queue<string>());
        lock (queue)
        {
            queue.Enqueue(line);
            while (queue.Count > KeptLines) queue.Dequeue();
        }

        if (sink is not null)
        {
            sink(resource, line);
            return;
        }

        lock (consoleLock)
        {
            if (!Console.IsOutputRedirected)
            {
                Console.ForegroundColor = colors[(uint)StringComparer.Ordinal.GetHashCode(resource) % colors.Length];
                Console.Write($"[{resource}] ");
                Console.ResetColor();
                Console.WriteLine(line);
            }
            else
            {
                Console.WriteLine($"[{resource}] {line}");
            }
        }
    }

    public void Info(string line) => Write("apphost", line);

    public string Tail(string resource, int lines = 15)
    {
        if (!recent.TryGetValue(resource, out var queue)) return "(no output)";
        lock (queue)
        {
            return queue.Count == 0 ? "(no output)" : string.Join(Environment.NewLine, queue.TakeLast(lines).Select(l => "    " + l));
        }
    }
}
