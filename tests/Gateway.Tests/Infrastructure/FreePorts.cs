using System.Net;
using System.Net.Sockets;

namespace Platform.Gateway.Tests.Infrastructure;

internal static class FreePorts
{
    /// <summary>Distinct loopback ports that were free a moment ago (all held at once, so never the same twice).</summary>
    public static int[] Take(int count)
    {
        var listeners = Enumerable.Range(0, count).Select(_ => new TcpListener(IPAddress.Loopback, 0)).ToList();
        try
        {
            listeners.ForEach(listener => listener.Start());
            return [.. listeners.Select(listener => ((IPEndPoint)listener.LocalEndpoint).Port)];
        }
        finally
        {
            listeners.ForEach(listener => listener.Stop());
        }
    }
}
