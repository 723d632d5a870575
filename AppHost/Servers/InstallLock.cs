namespace Platform.AppHost.Servers;

/// <summary>
/// One package installation at a time across every process on the machine: an exclusive lock on a file in the
/// temporary folder (flock, released by the kernel when the process ends, even when it is killed).
/// </summary>
internal sealed class InstallLock : IDisposable
{
    private static readonly TimeSpan patience = TimeSpan.FromMinutes(15);
    private readonly FileStream file;

    private InstallLock(FileStream file) => this.file = file;

    public static async Task<InstallLock> AcquireAsync(string path, Action<string> info, CancellationToken cancellationToken)
    {
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var told = false;
        while (true)
        {
            try
            {
                // On Unix, .NET takes FileShare.None as an exclusive flock on the open file.
                return new InstallLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException) when (waited.Elapsed < patience)
            {
                if (!told)
                {
                    info("Another AppHost or test process is installing packages; waiting for it to finish...");
                    told = true;
                }

                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken);
            }
        }
    }

    public void Dispose() => file.Dispose();
}
