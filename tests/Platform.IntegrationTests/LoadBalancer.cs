using System.Net;
using System.Net.Sockets;

namespace Platform.IntegrationTests;

/// <summary>
/// The load balancer a deployment puts in front of the gateway's replicas, on the public port identity issues for:
/// TCP only (TLS passes through to a replica), each connection to the next replica that accepts it. DCP's own proxy
/// for a replicated endpoint takes a port of its choosing, so the address identity's tokens and links name would
/// otherwise reach nothing.
/// </summary>
internal sealed class LoadBalancer : IAsyncDisposable
{
    private readonly TcpListener listener;
    private readonly Func<IReadOnlyList<Uri>> replicas;
    private readonly CancellationTokenSource stopping = new();
    private readonly Task accepting;
    private int next;

    public LoadBalancer(int port, Func<IReadOnlyList<Uri>> replicas)
    {
        this.replicas = replicas;
        listener = new TcpListener(IPAddress.Loopback, port);
        listener.Start();
        accepting = AcceptAsync();
    }

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await listener.AcceptTcpClientAsync(stopping.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            _ = ForwardAsync(client);
        }
    }

    private async Task ForwardAsync(TcpClient client)
    {
        using (client)
        {
            var targets = replicas();
            var first = Interlocked.Increment(ref next);
            for (var attempt = 0; attempt < targets.Count; attempt++)
            {
                var target = targets[(int)((uint)(first + attempt) % targets.Count)];
                using var upstream = new TcpClient();
                try
                {
                    await upstream.ConnectAsync(IPAddress.Loopback, target.Port, stopping.Token);
                }
                catch (SocketException)
                {
                    continue;  // a replica that was stopped or killed: the next one
                }
                catch (OperationCanceledException)
                {
                    return;
                }

                using var ended = CancellationTokenSource.CreateLinkedTokenSource(stopping.Token);
                var down = client.GetStream().CopyToAsync(upstream.GetStream(), ended.Token);
                var up = upstream.GetStream().CopyToAsync(client.GetStream(), ended.Token);
                try
                {
                    await Task.WhenAny(down, up);
                }
                finally
                {
                    await ended.CancelAsync();
                    await Task.WhenAll(down, up).ContinueWith(_ => { }, TaskScheduler.Default);
                }

                return;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stopping.CancelAsync();
        listener.Stop();
        await accepting;
        stopping.Dispose();
    }
}
