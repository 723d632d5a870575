using Platform.AppHost.Servers;

namespace Platform.AppHost.Tests;

/// <summary>
/// Ports for the local servers are picked before the servers bind them: a port handed out once must not be handed out
/// again while it still looks free (CI saw Redis and RabbitMQ's epmd given one port, and the start fail).
/// </summary>
public sealed class PortsTests
{
    [Fact]
    public void A_process_never_gets_the_same_free_port_twice_though_none_is_bound_yet()
    {
        // Far more picks than one start makes: from about 12,000 ports, two of 2,000 random picks almost surely meet.
        var ports = Enumerable.Range(0, 2000).Select(_ => Ports.Free()).ToList();

        Assert.Equal(ports.Count, ports.Distinct().Count());
        Assert.All(ports, p => Assert.InRange(p, 1024, 65535));
    }
}
