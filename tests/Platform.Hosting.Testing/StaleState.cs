namespace Platform.Hosting.Testing;

/// <summary>
/// Test state folders in the temporary folder, each marked with its test process: deleted when the app is disposed,
/// and swept at the next start when their process is gone (a test run that was killed).
/// </summary>
internal static class StaleState
{
    private const string Marker = "test-process.pid";

    public static void Claim(string directory)
    {
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(directory, Marker), Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    public static void Sweep()
    {
        foreach (var directory in Directory.EnumerateDirectories(Path.GetTempPath(), "platform-test-*"))
        {
            var marker = Path.Combine(directory, Marker);
            if (File.Exists(marker) && int.TryParse(File.ReadAllText(marker), out var pid) && !Alive(pid)) Delete(directory);
        }
    }

    public static void Delete(string directory)
    {
        for (var attempt = 0; attempt < 5; attempt++)
        {
            try
            {
                if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
                return;
            }
            catch (IOException)
            {
                Thread.Sleep(200);
            }
            catch (UnauthorizedAccessException)
            {
                return;
            }
        }
    }

    private static bool Alive(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
