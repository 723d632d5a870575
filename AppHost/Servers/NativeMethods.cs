using System.Runtime.InteropServices;

namespace Platform.AppHost.Servers;

internal static partial class NativeMethods
{
    [LibraryImport("libc")]
    private static partial uint geteuid();

    [LibraryImport("libc", SetLastError = true)]
    private static partial int kill(int pid, int sig);

    public static bool IsRoot => geteuid() == 0;

    public static bool ProcessExists(int pid) => kill(pid, 0) == 0;
}
