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

    public int Id => process.Id;

    public static async Task<ChildProcess> StartBareYarpAsync(Uri upstream)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!, [typeof(ChildProcess).Assembly.Location, BareYarp.Argument, upstream.ToString()])
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
        };
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
