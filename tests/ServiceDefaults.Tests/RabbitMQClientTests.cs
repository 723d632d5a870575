using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Platform.ServiceDefaults.RabbitMQ;
using Platform.ServiceDefaults.Tests.Infrastructure;
using RabbitMQ.Client;

namespace Platform.ServiceDefaults.Tests;

[Collection(ServersCollection.Name)]
public sealed class RabbitMQClientTests(Servers servers)
{
    [Fact]
    public async Task Registered_connection_opens_a_channel_declares_a_queue_and_round_trips_a_message()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = servers.RabbitMQ });
        builder.AddRabbitMQClient("bus");
        using var host = builder.Build();
        await host.StartAsync();

        var connection = host.Services.GetRequiredService<IConnection>();
        await using var channel = await connection.CreateChannelAsync();
        var queue = await channel.QueueDeclareAsync($"servicedefaults-tests-{Guid.NewGuid():n}", durable: false, exclusive: true, autoDelete: true);
        await channel.BasicPublishAsync("", queue.QueueName, Encoding.UTF8.GetBytes("ping"));

        var delivered = await GetAsync(channel, queue.QueueName);
        Assert.Equal("ping", Encoding.UTF8.GetString(delivered.Body.Span));
        Assert.Equal("servicedefaults-tests", connection.ClientProvidedName);
        await host.StopAsync();
    }

    [Fact]
    public async Task Health_check_named_after_the_connection_reports_healthy()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = servers.RabbitMQ });
        builder.AddRabbitMQClient("bus");
        using var host = builder.Build();
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.True(report.Entries.ContainsKey("bus"), $"checks: {string.Join(", ", report.Entries.Keys)}");
        Assert.Equal(HealthStatus.Healthy, report.Entries["bus"].Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task Disabled_health_check_leaves_the_connection_out_of_the_report()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = servers.RabbitMQ });
        builder.AddRabbitMQClient("bus", settings => settings.DisableHealthChecks = true);
        using var host = builder.Build();
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        Assert.Equal(["self"], report.Entries.Keys);
        // The client itself is still registered and works.
        Assert.True(host.Services.GetRequiredService<IConnection>().IsOpen);
        await host.StopAsync();
    }

    [Fact]
    public async Task Wrong_password_reports_unhealthy_without_revealing_the_password()
    {
        var wrongPassword = $"Wr0ng-{Guid.NewGuid():n}";
        var logs = new CapturedLogs();
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = WithPassword(wrongPassword) }, logs);
        builder.AddRabbitMQClient("bus", settings => settings.HealthCheckTimeout = TimeSpan.FromSeconds(2));
        using var host = builder.Build();
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["bus"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.DoesNotContain(wrongPassword, $"{entry.Description} {entry.Exception}");
        Assert.DoesNotContain(logs.Lines, line => line.Contains(wrongPassword, StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task Wrong_password_is_not_retried_as_if_the_broker_were_unreachable()
    {
        var logs = new CapturedLogs();
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = WithPassword($"Wr0ng-{Guid.NewGuid():n}") }, logs);
        builder.AddRabbitMQClient("bus", settings => settings.ConnectRetryDelay = TimeSpan.FromMilliseconds(100));
        using var host = builder.Build();
        await host.StartAsync();

        var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

        var entry = report.Entries["bus"];
        Assert.Equal(HealthStatus.Unhealthy, entry.Status);
        Assert.DoesNotContain("did not answer", entry.Description);
        Assert.Contains("authentication refused for connection 'bus'", entry.Description);
        // Event 1103: "RabbitMQ '{ConnectionName}' is unreachable (...); retry ..."
        Assert.DoesNotContain(logs.Lines, line => line.Contains("[1103]", StringComparison.Ordinal));
        // Event 1105: the operator is told what to fix.
        Assert.Contains(logs.Lines, line => line.Contains("[1105]", StringComparison.Ordinal) && line.Contains("'bus'", StringComparison.Ordinal));
        var error = await Assert.ThrowsAsync<RabbitMQAuthenticationException>(
            () => host.Services.GetRequiredService<RabbitMQConnectionProvider>().GetConnectionAsync());
        Assert.Equal("bus", error.ConnectionName);
        await host.StopAsync();
    }

    private string WithPassword(string password) => new UriBuilder(servers.RabbitMQ) { Password = password }.Uri.ToString();

    private static async Task<BasicGetResult> GetAsync(IChannel channel, string queue)
    {
        // A publish is asynchronous on the broker's side: give it a moment to land in the queue.
        for (var attempt = 0; attempt < 50; attempt++)
        {
            if (await channel.BasicGetAsync(queue, autoAck: true) is { } result)
            {
                return result;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"Nothing arrived on {queue} within 5 s.");
    }
}
