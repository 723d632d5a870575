using System.Diagnostics;

namespace Platform.Hosting.Orchestration;

internal sealed record ProcessSpec(string Resource, string FileName, IReadOnlyList<string> Arguments)
{
    public string? WorkingDirectory { get; init; }

    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Run as this unprivileged user (when the AppHost runs as root).</summary>
    public string? RunAsUser { get; init; }
}

/// <summary>
/// A child process in its own session and process group (so a terminal's Ctrl+C reaches only the AppHost, which
/// then stops resources in order), with its output prefixed and its group recorded for the watchdog.
/// </summary>
internal sealed class ManagedProcess
{
    private readonly Process process;
    private readonly ProcessRegistry registry;
    private readonly TaskCompletionSource<int> exited = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private ManagedProcess(Process process, ProcessRegistry registry)
    {
        this.process = process;
        this.registry = registry;
    }

    public int Id => process.Id;

    public Task<int> Exited => exited.Task;

    public bool HasExited => exited.Task.IsCompleted;

    public static ManagedProcess Start(ProcessSpec spec, ProcessRegistry registry, ResourceOutput output)
    {
        var start = new ProcessStartInfo("setsid")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            WorkingDirectory = spec.WorkingDirectory ?? "",
        };
        if (spec.RunAsUser is { } user)
        {
            foreach (var arg in new[] { "setpriv", $"--reuid={user}", $"--regid={user}", "--init-groups", "--" }) start.ArgumentList.Add(arg);
        }

        start.ArgumentList.Add(spec.FileName);
        foreach (var arg in spec.Arguments) start.ArgumentList.Add(arg);
        foreach (var (name, value) in spec.Environment)
        {
            if (value is null) start.Environment.Remove(name); else start.Environment[name] = value;
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var managed = new ManagedProcess(process, registry);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) output.Write(spec.Resource, e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) output.Write(spec.Resource, e.Data); };
        process.Exited += (_, _) =>
        {
            // Output handlers may still be draining; WaitForExit() without a timeout waits for them.
            process.WaitForExit();
            registry.Remove(process.Id);
            managed.exited.TrySetResult(process.ExitCode);
        };

        try
        {
            process.Start();
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new DistributedApplicationException($"{spec.Resource}: could not start '{spec.FileName}': {e.Message}");
        }

        // setsid made the child a session and group leader: its pid is its group id.
        registry.Add(process.Id);
        process.StandardInput.Close();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return managed;
    }

    /// <summary>Sends <paramref name="signal"/> to the group, then SIGKILL if it is still there after the grace period.</summary>
    public async Task StopAsync(int signal, TimeSpan grace)
    {
        if (HasExited) return;
        NativeMethods.SignalGroup(process.Id, signal);
        if (await Task.WhenAny(Exited, Task.Delay(grace)) != Exited)
        {
            NativeMethods.SignalGroup(process.Id, NativeMethods.SIGKILL);
            await Exited;
        }

        // Children that outlived the leader (a shell script's server, say) go with the group.
        if (NativeMethods.GroupExists(process.Id)) NativeMethods.SignalGroup(process.Id, NativeMethods.SIGKILL);
    }
}
