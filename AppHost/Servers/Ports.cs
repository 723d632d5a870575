using System.Net;
using System.Net.Sockets;

namespace Platform.AppHost.Servers;

public static class Ports
{
    private const int Lowest = 20000;

    // Ports handed out by this process: each is bound only a moment later, when its server starts, so until then it
    // still looks free, and a second pick (another server of the same start, or a test's endpoint) could take it too.
    // CI saw Redis and RabbitMQ's epmd given the same port, and the start fail.
    private static readonly HashSet<int> handedOut = [];

    /// <summary>
    /// A loopback port that is free now, for endpoints DCP does not proxy (the server binds it a moment later). It is
    /// drawn below the kernel's ephemeral range, from which every outgoing connection and every ":0" bind (DCP's
    /// proxies, other test processes' clients) takes its port, so none of those can take it in between; another
    /// process picking here too would have to pick the same one of about 12,000. This process never hands out a port twice.
    /// </summary>
    public static int Free()
    {
        var ceiling = Math.Min(EphemeralLowerBound(), 32768);
        for (var attempt = 0; ceiling - Lowest > 1000 && attempt < 100; attempt++)
        {
            var port = Random.Shared.Next(Lowest, ceiling);
            if (IsFree(port) && HandOut(port)) return port;
        }

        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            if (HandOut(((IPEndPoint)listener.LocalEndpoint).Port)) return ((IPEndPoint)listener.LocalEndpoint).Port;
        }
    }

    private static bool HandOut(int port)
    {
        lock (handedOut) return handedOut.Add(port);
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int EphemeralLowerBound()
    {
        try
        {
            var range = File.ReadAllText("/proc/sys/net/ipv4/ip_local_port_range").Split((char[])['\t', ' ', '\n'], StringSplitOptions.RemoveEmptyEntries);
            return int.Parse(range[0], System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is IOException or FormatException or IndexOutOfRangeException or UnauthorizedAccessException)
        {
            return 32768;
        }
    }
}
