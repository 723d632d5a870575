using System.Net;
using System.Net.Sockets;

namespace Platform.IntegrationTests.Security;

/// <summary>
/// Connections to the gateway from a loopback address of their own (Linux routes all of 127.0.0.0/8 to lo): to the
/// gateway and to identity behind it each such client is a different client address, as separate machines would be,
/// so per-address counters of one test neither see nor disturb the other tests' (which all come from 127.0.0.1).
/// </summary>
internal static class ClientAddresses
{
    public static IPAddress Fresh() =>
        new([127, (byte)Random.Shared.Next(1, 255), (byte)Random.Shared.Next(0, 256), (byte)Random.Shared.Next(1, 255)]);

    /// <summary>A handler for the gateway whose connections come from <paramref name="source"/>.</summary>
    public static SocketsHttpHandler Handler(PlatformFixture fixture, IPAddress source)
    {
        var handler = fixture.App.CreateHandler("gateway");
        handler.ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(source, 0));
                await socket.ConnectAsync(new IPEndPoint(IPAddress.Loopback, context.DnsEndPoint.Port), cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        };
        return handler;
    }

    /// <summary>A browser (cookies kept, redirects not followed) at <paramref name="source"/>.</summary>
    public static HttpClient Browser(PlatformFixture fixture, IPAddress source)
    {
        var handler = Handler(fixture, source);
        handler.AllowAutoRedirect = false;
        handler.CookieContainer = new CookieContainer();
        return fixture.App.CreateHttpClient("gateway", handler: handler);
    }
}
