using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Time.Testing;
using Platform.ServiceDefaults.RabbitMQ;
using Platform.ServiceDefaults.Tests.Infrastructure;
using RabbitMQ.Client.Exceptions;

namespace Platform.ServiceDefaults.Tests;

/// <summary>
/// A service under test may put a FakeTimeProvider in DI to drive its domain time. Waits on sockets still run on
/// the real clock: with the fake one they would never end. No servers are needed for these.
/// </summary>
public sealed class RealClockTests
{
    [Fact]
    public async Task Health_check_timeout_elapses_although_a_fake_clock_is_registered()
    {
        // Accepts connections (the backlog does) but never answers: PostgreSQL that hangs.
        using var silent = new TcpListener(IPAddress.Loopback, 0);
        silent.Start();
        var port = ((IPEndPoint)silent.LocalEndpoint).Port;
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string>
        {
            ["ledgerdb"] = $"Host=127.0.0.1;Port={port};Username=app;Password=secret;Timeout=60",
        });
        builder.AddNpgsqlDataSource("ledgerdb", settings => settings.HealthCheckTimeout = TimeSpan.FromSeconds(1));
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        using var host = builder.Build();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync().WaitAsync(TimeSpan.FromSeconds(20));

        var entry = report.Entries["ledgerdb"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.Equal("PostgreSQL did not answer within 1 s.", entry.Description);
    }

    [Fact]
    public async Task Connect_retries_back_off_although_a_fake_clock_is_registered()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = $"amqp://app:secret@127.0.0.1:{ClosedPort()}" });
        builder.AddRabbitMQClient("bus", settings =>
        {
            settings.MaxConnectRetryCount = 2;
            settings.ConnectRetryDelay = TimeSpan.FromMilliseconds(50);
        });
        builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider());
        using var host = builder.Build();

        var connecting = host.Services.GetRequiredService<RabbitMQConnectionProvider>().GetConnectionAsync();

        // Both retries happen and the attempt gives up, rather than waiting forever for a fake second to pass.
        await Assert.ThrowsAsync<BrokerUnreachableException>(() => connecting.WaitAsync(TimeSpan.FromSeconds(20)));
    }

    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
