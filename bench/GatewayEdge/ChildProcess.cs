using System.Diagnostics;

namespace Platform.Bench.GatewayEdge;

/// <summary>This program started again as the bare-YARP server; it stops when its standard input is closed.</summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process process;

    private ChildProcess(Process process, Uri address)
    {
        this.process = process;
        Address = address;
    }

    public Uri Address { get; }

    /// <summary>Set in the child's environment: a child never runs the benchmark itself.</summary>
    public const string ChildMarker = "PLATFORM_BENCH_GATEWAY_EDGE_CHILD";

    public int Id => process.Id;

    public static async Task<ChildProcess> StartBareYarpAsync(Uri upstream)
    {
        // Started by `dotnet run` this process is the app host (bin/.../GatewayEdge), which takes no assembly argument;
        // started as `dotnet GatewayEdge.dll` it is dotnet, which does. Given the wrong way, the child would not see
        // its arguments and would run the whole benchmark, starting a child of its own: the marker stops that.
        var host = Environment.ProcessPath!;
        string[] arguments = Path.GetFileNameWithoutExtension(host) == "dotnet"
            ? [typeof(ChildProcess).Assembly.Location, BareYarp.Argument, upstream.ToString()]
            : [BareYarp.Argument, upstream.ToString()];
        var start = new ProcessStartInfo(host, arguments)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
        start.Environment[ChildMarker] = "1";
        var process = Process.Start(start) ?? throw new InvalidOperationException("The bare YARP process did not start.");
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
            ?? throw new InvalidOperationException("The bare YARP process exited before it listened.");
        // Keep draining, so that a warning it prints later never blocks it on a full pipe.
        _ = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        return new ChildProcess(process, new Uri(line));
    }

    public async ValueTask DisposeAsync()
    {
        process.StandardInput.Close();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
        }

        process.Dispose();
    }
}
