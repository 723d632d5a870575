using System.Net.Sockets;
using System.Text;

namespace Platform.Hosting.Orchestration;

/// <summary>
/// A private redis-server on loopback with a password and without persistence, as Aspire's Redis resource starts by
/// default: Redis holds only rate-limit buckets, which expire within their window, and change notifications. An
/// append-only file would write every rate-limit decision to disk (and rewrite itself under load) for nothing.
/// </summary>
internal sealed class RedisRunner(RedisResource redis, OrchestratorContext context) : ResourceRunner(redis, context)
{
    private ManagedProcess? process;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var directory = Context.State.ResourceDirectory(redis.Name);
        var port = redis.PrimaryEndpoint.AllocatedPort();
        // The password goes in a config file only the owner can read, never on a command line others can see.
        var config = Path.Combine(directory, "redis.conf");
        StateFolder.WriteOwnerOnly(config, $"""
            bind 127.0.0.1
            port {port}
            protected-mode yes
            requirepass {redis.Password.GetValue()}
            dir {directory}
            appendonly no
            save ""
            daemonize no
            logfile ""
            """);
        process = ManagedProcess.Start(new ProcessSpec(redis.Name, PackageInstaller.FindProgram("redis-server")!, [config]) { WorkingDirectory = directory }, Context.Processes, Context.Output);
        await WaitUntilHealthyAsync(ct => PingAsync(port, redis.Password.GetValue(), ct), process, TimeSpan.FromSeconds(30), cancellationToken);
    }

    public override async Task StopAsync()
    {
        if (process is not null) await process.StopAsync(NativeMethods.SIGTERM, TimeSpan.FromSeconds(10));
        process = null;
    }

    /// <summary>AUTH then PING in RESP: healthy when the server answers +PONG.</summary>
    internal static async Task<bool> PingAsync(int port, string password, CancellationToken cancellationToken)
    {
        using var client = new TcpClient();
        await client.ConnectAsync("127.0.0.1", port, cancellationToken);
        var stream = client.GetStream();
        var request = $"*2\r\n$4\r\nAUTH\r\n${Encoding.UTF8.GetByteCount(password)}\r\n{password}\r\n*1\r\n$4\r\nPING\r\n";
        await stream.WriteAsync(Encoding.UTF8.GetBytes(request), cancellationToken);
        var buffer = new byte[256];
        var received = new StringBuilder();
        while (!received.ToString().Contains("+PONG", StringComparison.Ordinal) && !received.ToString().Contains("-ERR", StringComparison.Ordinal))
        {
            var read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0) return false;
            received.Append(Encoding.UTF8.GetString(buffer, 0, read));
        }

        return received.ToString().Contains("+OK\r\n+PONG", StringComparison.Ordinal);
    }
}
