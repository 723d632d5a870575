using System.Runtime.InteropServices;

namespace Platform.Hosting.Orchestration;

internal static partial class NativeMethods
{
    public const int SIGINT = 2;
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    [LibraryImport("libc")]
    private static partial uint geteuid();

    public static bool IsRoot => geteuid() == 0;

    /// <summary>Signals a whole process group: every process a resource started, however it forked.</summary>
    public static bool SignalGroup(int processGroup, int signal) => kill(-processGroup, signal) == 0;

    public static bool GroupExists(int processGroup) => kill(-processGroup, 0) == 0;

    public static bool ProcessExists(int pid) => kill(pid, 0) == 0;

    public static void Signal(int pid, int signal) => kill(pid, signal);
}
