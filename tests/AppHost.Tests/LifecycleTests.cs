namespace Platform.AppHost.Tests;

/// <summary>
/// However the AppHost ends, nothing it started keeps running (DCP tears everything down). Killed outright, it runs keys
/// and what it needs (<c>--only keys</c>: every server, DCP and three services); stopped by Ctrl+C, the three servers
/// (whose own stops are the slow and the error-prone part: PostgreSQL's shutdown, RabbitMQ's epmd), since .NET's host
/// stops the same way on SIGINT as on SIGTERM, and the dashboard's run ends with SIGTERM to the whole platform.
/// </summary>
[Collection(AppHostRuns.Name)]
public sealed class LifecycleTests
{
    [Fact]
    public async Task SIGINT_as_Ctrl_C_sends_it_stops_the_AppHost_and_every_process_it_started()
    {
        await using var run = await RunningAppHost.StartAsync(only: "postgres,redis,messaging");
        var processes = run.Processes();
        var commands = processes.Select(ProcessTable.CommandLine).ToList();
        Assert.Contains(commands, c => c.Contains("epmd", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("postgres", StringComparison.Ordinal) && c.Contains("-D", StringComparison.Ordinal));

        run.Signal("INT");

        Assert.Equal(0, await run.WaitForExitAsync(TimeSpan.FromMinutes(1)));
        Assert.Empty(await run.WaitUntilNothingRunsAsync(processes, TimeSpan.FromSeconds(20)));
    }

    [Fact]
    public async Task Killing_the_AppHost_outright_leaves_no_server_service_or_DCP_process_behind()
    {
        await using var run = await RunningAppHost.StartAsync(only: "keys");
        var processes = run.Processes();
        var commands = processes.Select(ProcessTable.CommandLine).ToList();
        Assert.Contains(commands, c => c.Contains("postgres", StringComparison.Ordinal) && c.Contains("-D", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("redis-server", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("beam", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("epmd", StringComparison.Ordinal));
        Assert.Contains(commands, c => c.Contains("dcp", StringComparison.Ordinal));
        // Each project as its built program (ProjectDefaults.RunBuiltPrograms), not `dotnet run --project`.
        Assert.Contains(commands, c => c.Contains("Platform.Keys.dll", StringComparison.Ordinal));
        Assert.DoesNotContain(commands, c => c.Contains("Keys.csproj", StringComparison.Ordinal));
        Assert.DoesNotContain(commands, c => c.Contains("Platform.Gateway.dll", StringComparison.Ordinal));

        run.Signal("KILL");
        await run.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var left = await run.WaitUntilNothingRunsAsync(processes, TimeSpan.FromSeconds(20));
        Assert.True(left.Count == 0, $"Still running 20 s after kill -9 of the AppHost:{Environment.NewLine}{string.Join(Environment.NewLine, left)}");
    }
}
