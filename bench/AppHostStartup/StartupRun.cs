using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace Platform.Bench.AppHostStartup;

/// <param name="Ready">Until the AppHost said "Platform is ready" (every resource running and healthy) and the dashboard answered.</param>
/// <param name="Banner">Until "Platform is ready" appeared on the AppHost's output.</param>
/// <param name="Dashboard">Until the dashboard first answered HTTP.</param>
/// <param name="AppHostSays">The AppHost's own figure, counted from its process's start (without dotnet run's part).</param>
internal sealed record StartupTimes(TimeSpan Ready, TimeSpan Banner, TimeSpan Dashboard, double AppHostSays);

/// <param name="AppHostExited">From SIGTERM to the AppHost until it exited.</param>
/// <param name="AllGone">Until no process of the run was left (zombies aside: this VM's init does not reap DCP's).</param>
/// <param name="Left">What was still running after a minute (then killed).</param>
internal sealed record StopTimes(TimeSpan AppHostExited, TimeSpan AllGone, int Processes, IReadOnlyList<string> Left);

/// <summary>One start of the AppHost, timed until it is ready and then until it has stopped.</summary>
internal sealed partial class StartupRun : IAsyncDisposable
{
    private static readonly TimeSpan readyTimeout = TimeSpan.FromMinutes(3);
    private readonly Process dotnetRun;
    private readonly StreamWriter log;
    private bool stopped;

    private StartupRun(Process dotnetRun, StreamWriter log, string logPath)
    {
        this.dotnetRun = dotnetRun;
        this.log = log;
        LogPath = logPath;
    }

    public string LogPath { get; }

    public StartupTimes Times { get; private set; } = null!;

    public int DotnetRunPid => dotnetRun.Id;

    public int AppHostPid { get; private set; }

    public static async Task<StartupRun> StartAsync(AppHostLaunch launch, string stateDirectory, string logPath)
    {
        var banner = new TaskCompletionSource<(TimeSpan At, double Says)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StreamWriter(logPath) { AutoFlush = true };
        var lastWait = "";
        var clock = Stopwatch.StartNew();
        var process = new Process { StartInfo = launch.StartInfo(stateDirectory), EnableRaisingEvents = true };
        var run = new StartupRun(process, log, logPath);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (log) log.WriteLine(line);
            if (ReadyLine().Match(line) is { Success: true } ready) banner.TrySetResult((clock.Elapsed, double.Parse(ready.Groups[1].Value, CultureInfo.InvariantCulture)));
            if (line.TrimStart().StartsWith("Still waiting for:", StringComparison.Ordinal)) lastWait = line.Trim();
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not { } line) return;
            lock (log) log.WriteLine(line);
        };
        process.Exited += (_, _) => banner.TrySetException(new InvalidOperationException($"The AppHost exited with {process.ExitCode} before it was ready (its output: {logPath})."));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();

        using var stopPolling = new CancellationTokenSource();
        var dashboard = FirstAnswerAsync(launch.Dashboard, clock, stopPolling.Token);
        try
        {
            var (bannerAt, says) = await banner.Task.WaitAsync(readyTimeout);
            if (await Task.WhenAny(dashboard, Task.Delay(TimeSpan.FromSeconds(30))) != dashboard)
            {
                throw new InvalidOperationException($"The platform was ready but the dashboard ({launch.Dashboard}) did not answer within 30 s (the AppHost's output: {logPath}).");
            }

            var dashboardAt = await dashboard;
            run.Times = new StartupTimes(bannerAt > dashboardAt ? bannerAt : dashboardAt, bannerAt, dashboardAt, says);
            run.AppHostPid = ProcessTree.Children(process.Id).FirstOrDefault(c => ProcessTree.CommandLine(c).Contains("Platform.AppHost", StringComparison.Ordinal));
            if (run.AppHostPid == 0) throw new InvalidOperationException($"dotnet run ({process.Id}) has no Platform.AppHost child.");
            return run;
        }
        catch (Exception e)
        {
            await stopPolling.CancelAsync();
            await run.DisposeAsync();
            if (e is TimeoutException) throw new TimeoutException($"Not ready within {readyTimeout.TotalMinutes:0} min; the AppHost's last word: \"{lastWait}\" (its output: {logPath}).", e);
            throw;
        }
    }

    /// <summary>SIGTERM to the AppHost (as a service manager or `kill` stops it); times how long until nothing of it is left.</summary>
    public async Task<StopTimes> StopAsync()
    {
        stopped = true;
        var tree = ProcessTree.Application(AppHostPid);
        tree.Add(dotnetRun.Id);
        var clock = Stopwatch.StartNew();
        Signal("TERM", [AppHostPid]);
        var appHostExited = TimeSpan.Zero;
        List<int> living;
        while ((living = [.. tree.Where(IsAlive)]).Count > 0 && clock.Elapsed < TimeSpan.FromMinutes(1))
        {
            if (appHostExited == TimeSpan.Zero && !IsAlive(AppHostPid)) appHostExited = clock.Elapsed;
            await Task.Delay(50);
        }

        var allGone = clock.Elapsed;
        if (appHostExited == TimeSpan.Zero) appHostExited = allGone;
        var left = living.Select(p => $"{p} {ProcessTree.CommandLine(p)}").ToList();
        if (living.Count > 0) Signal("KILL", living);
        await dotnetRun.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return new StopTimes(appHostExited, allGone, tree.Count, left);
    }

    public async ValueTask DisposeAsync()
    {
        if (!stopped && !dotnetRun.HasExited)
        {
            // A failed run: kill the AppHost outright; DCP sees its monitored process die and tears the rest down.
            var appHost = AppHostPid != 0 ? AppHostPid : ProcessTree.Children(dotnetRun.Id).FirstOrDefault();
            if (appHost != 0) Signal("KILL", [appHost]);
            await dotnetRun.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        }

        dotnetRun.Dispose();
        lock (log) log.Dispose();
    }

    private static bool IsAlive(int pid) => ProcessTree.Read(pid) is { State: not 'Z' };

    private static void Signal(string signal, IEnumerable<int> pids)
    {
        using var kill = Process.Start("kill", [$"-{signal}", .. pids.Select(p => p.ToString(CultureInfo.InvariantCulture))]);
        kill.WaitForExit();
    }

    /// <summary>When the dashboard first answers anything over HTTP (its login redirect), polled every 100 ms.</summary>
    private static async Task<TimeSpan> FirstAnswerAsync(Uri dashboard, Stopwatch clock, CancellationToken cancellationToken)
    {
        using var http = new HttpClient(new SocketsHttpHandler { AllowAutoRedirect = false }) { Timeout = TimeSpan.FromSeconds(5) };
        while (true)
        {
            try
            {
                using var response = await http.GetAsync(dashboard, cancellationToken);
                return clock.Elapsed;
            }
            catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                await Task.Delay(100, cancellationToken);
            }
        }
    }

    [GeneratedRegex(@"Platform is ready in ([\d.]+) s")]
    private static partial Regex ReadyLine();
}
