using System.Net.Sockets;
using Platform.Hosting.Testing;

namespace Platform.AppHost.Tests;

public sealed class StartupFailureTests
{
    [Fact]
    public async Task A_server_that_cannot_start_is_named_with_its_output_and_everything_else_is_stopped()
    {
        await using var app = await TestingApplication.CreateAsync();
        app.KeepOnly("postgres", "redis");
        // A data folder that is not a cluster: the server refuses it and exits.
        var data = Directory.CreateDirectory(Path.Combine(app.StateDirectory, "postgres", "data")).FullName;
        await File.WriteAllTextAsync(Path.Combine(data, "PG_VERSION"), "99\n");

        var error = await Assert.ThrowsAsync<DistributedApplicationException>(() => app.StartAsync());

        Assert.StartsWith("postgres: exited with code", error.Message);
        Assert.Contains("postgresql.conf", error.Message); // the server's own explanation is passed on
        var redisPort = app.Application.Resources.OfType<RedisResource>().Single().PrimaryEndpoint.AllocatedPort();
        await Assert.ThrowsAsync<SocketException>(async () =>
        {
            using var client = new TcpClient();
            await client.ConnectAsync("127.0.0.1", redisPort);
        });
    }
}
