using System.Net;
using System.Net.Sockets;

namespace Platform.AppHost.Supervision;

/// <summary>
/// A fixed port someone else holds (the gateway's 8443) would only show up as the project exiting later, with the
/// rest of the platform running and waiting for it. Checked before anything starts: the AppHost stops at once,
/// naming the resource, the endpoint and the port, and leaves nothing running.
/// </summary>
internal static class FixedPortCheck
{
    public static Task CheckAsync(BeforeStartEvent @event, CancellationToken cancellationToken)
    {
        var taken = @event.Model.Resources.OfType<ProjectResource>()
            .SelectMany(project => project.Annotations.OfType<EndpointAnnotation>()
                .Where(endpoint => !endpoint.IsProxied && endpoint.Port is > 0 && !Free(endpoint.Port.Value))
                .Select(endpoint => $"{project.Name}: port {endpoint.Port} ({endpoint.Name}) is already in use"))
            .ToList();
        if (taken.Count > 0)
        {
            throw new DistributedApplicationException(
                $"{string.Join("; ", taken)}. Stop what listens there (ss -ltnp) or start this copy with --Platform:GatewayPort=<port>.");
        }

        return Task.CompletedTask;
    }

    private static bool Free(int port)
    {
        foreach (var address in new[] { IPAddress.Loopback, IPAddress.IPv6Loopback })
        {
            try
            {
                using var listener = new TcpListener(address, port);
                listener.Start();
            }
            catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
            {
                return false;
            }
            catch (SocketException)
            {
                // No IPv6 on this machine: nothing can hold the port there either.
            }
        }

        return true;
    }
}
