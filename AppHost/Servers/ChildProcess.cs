using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Platform.AppHost.Servers;

/// <summary>A short-lived helper program (initdb, chown), its output in the resource's console log.</summary>
internal static class ChildProcess
{
    public static async Task<int> RunAsync(string fileName, IEnumerable<string> args, ILogger logger, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args) start.ArgumentList.Add(a);
        using var child = new Process { StartInfo = start };
        child.OutputDataReceived += (_, e) => { if (e.Data is not null) logger.LogInformation("{Line}", e.Data); };
        child.ErrorDataReceived += (_, e) => { if (e.Data is not null) logger.LogInformation("{Line}", e.Data); };
        child.Start();
        child.BeginOutputReadLine();
        child.BeginErrorReadLine();
        await child.WaitForExitAsync(cancellationToken);
        return child.ExitCode;
    }
}
