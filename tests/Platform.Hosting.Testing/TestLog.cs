namespace Platform.Hosting.Testing;

/// <summary>
/// Resource output of a test run, kept outside the (deleted) state folder so a failed CI run can be read:
/// <c>tests/…/bin/…/platform-logs/&lt;run&gt;.log</c>.
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
}
