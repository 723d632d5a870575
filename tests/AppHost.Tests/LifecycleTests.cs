using System.Diagnostics;

namespace Platform.AppHost.Tests;

/// <summary>The AppHost as a user runs it: ready message, and nothing left running however it ends.</summary>
public sealed class LifecycleTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_stop_signal_stops_every_process_the_AppHost_started(string signal)
    {
        await using var run = await RunningAppHost.StartAsync();
        var groups = run.ProcessGroups();
        Assert.NotEmpty(groups);

        run.Signal(signal);
        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(1)));

        Assert.DoesNotContain(groups, GroupAlive);
        Assert.Empty(ProcessesMentioning(run.StateDirectory));
        Assert.Contains("Stopped.", run.Output);
    }

    [Fact]
    public async Task Killing_the_AppHost_outright_leaves_no_server_behind()
    {
        await using var run = await RunningAppHost.StartAsync();
        var groups = run.ProcessGroups();

        run.Signal("KILL");
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));

        // The watchdog notices within a second and ends every group (SIGTERM, then SIGKILL after 10 s).
        var deadline = DateTimeOffset.UtcNow.AddSeconds(30);
        while (groups.Any(GroupAlive) && DateTimeOffset.UtcNow < deadline) await Task.Delay(250);
        Assert.DoesNotContain(groups, GroupAlive);
        Assert.Empty(ProcessesMentioning(run.StateDirectory));
    }

    private static bool GroupAlive(int group)
    {
        using var probe = Process.Start("kill", ["-0", "--", $"-{group}"])!;
        probe.WaitForExit();
        return probe.ExitCode == 0;
    }

    private static List<string> ProcessesMentioning(string text) =>
        Directory.EnumerateDirectories("/proc")
            .Where(d => int.TryParse(Path.GetFileName(d), out _))
            .Select(d =>
            {
                try { return File.ReadAllText(Path.Combine(d, "cmdline")).Replace('\0', ' '); }
                catch (IOException) { return ""; }
                catch (UnauthorizedAccessException) { return ""; }
            })
            .Where(cmdline => cmdline.Contains(text, StringComparison.Ordinal))
            .ToList();
}
