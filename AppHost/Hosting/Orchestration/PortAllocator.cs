using System.Net;
using System.Net.Sockets;

namespace Platform.Hosting.Orchestration;

/// <summary>Gives every endpoint replica a port on loopback: its fixed one if it is free, otherwise a free one.</summary>
internal static class PortAllocator
{
    public static void Allocate(IEnumerable<Resource> resources, bool randomize)
    {
        var taken = new HashSet<int>();
        foreach (var resource in resources)
        {
            var replicas = resource is ProjectResource project ? project.Replicas : 1;
            foreach (var endpoint in resource.Endpoints)
            {
                endpoint.AllocatedPorts.Clear();
                for (var replica = 0; replica < replicas; replica++)
                {
                    // A fixed port belongs to the first replica; the others get free ones (no proxy in front).
                    if (endpoint.Port is { } fixedPort && !randomize && replica == 0)
                    {
                        if (!IsFree(fixedPort) || !taken.Add(fixedPort))
                        {
                            throw new DistributedApplicationException(
                                $"{resource.Name}: port {fixedPort} ({endpoint.Name}) is already in use. Stop what listens there, or run with --random-ports.");
                        }

                        endpoint.AllocatedPorts.Add(fixedPort);
                        continue;
                    }

                    int port;
                    do port = FreePort(); while (!taken.Add(port));
                    endpoint.AllocatedPorts.Add(port);
                }
            }
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static bool IsFree(int port)
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
}
