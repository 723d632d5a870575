namespace Platform.Hosting.Testing;

/// <summary>
/// Every resource's console output in a test run, kept outside the (deleted) state folder so a failed CI run can be
/// read: <c>tests/…/bin/…/platform-logs/&lt;run&gt;.log</c>.
/// </summary>
public sealed class TestLog
{
    private readonly Lock gate = new();

    internal TestLog(string stateDirectory)
    {
        var directory = Directory.CreateDirectory(System.IO.Path.Combine(AppContext.BaseDirectory, "platform-logs")).FullName;
        Path = System.IO.Path.Combine(directory, System.IO.Path.GetFileName(stateDirectory) + ".log");
    }

    public string Path { get; }

    internal void Write(string resource, string line)
    {
        lock (gate)
        {
            File.AppendAllText(Path, $"{DateTimeOffset.UtcNow:HH:mm:ss.fff} [{resource}] {line}{Environment.NewLine}");
        }
    }

    /// <summary>The last lines a resource wrote, for a failure message.</summary>
    public string Tail(string resource, int lines = 20)
    {
        lock (gate)
        {
            if (!File.Exists(Path)) return "";
            return string.Join(Environment.NewLine, File.ReadLines(Path).Where(l => l.Contains($"[{resource}]", StringComparison.Ordinal)).TakeLast(lines));
        }
    }
}
