using System.Net;
using System.Net.Sockets;

namespace Platform.AppHost.Servers;

internal static class Ports
{
    /// <summary>A port free on loopback now (the kernel's pick), for endpoints DCP does not proxy.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
