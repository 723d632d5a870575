using System.CommandLine;
using Platform.Ctl.Audit;
using Platform.Ctl.Backup;
using Platform.Ctl.Residency;

namespace Platform.Ctl;

/// <summary>
/// The commands of platformctl, one group per area (later issues add theirs beside <c>audit</c>). Exit codes:
/// 0 done, 1 a verification failed, 2 bad usage or input, 3 the platform refused or could not be reached, 4 a residency report names data outside its region.
/// </summary>
public static class PlatformCli
{
    public const int Ok = 0;
    public const int NotVerified = 1;
    public const int Usage = 2;
    public const int Remote = 3;
    public const int LeaksFound = 4;

    /// <param name="handler">The HTTP handler to reach the platform with (tests); by default a new one per command.</param>
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, HttpMessageHandler? handler = null, CancellationToken cancellationToken = default)
    {
        var root = new RootCommand("platformctl: the platform's command-line tool.");
        root.Subcommands.Add(AuditCommands.Create(handler));
        root.Subcommands.Add(ResidencyCommands.Create(handler));
        root.Subcommands.Add(BackupCommands.Create(handler));
        var parsed = root.Parse(args);
        return await parsed.InvokeAsync(new InvocationConfiguration { Output = output, Error = error }, cancellationToken);
    }
}
