using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Platform.ServiceDefaults.Tests.Infrastructure;

namespace Platform.ServiceDefaults.Tests;

/// <summary>RabbitMQ client settings read from configuration, Aspire's keys. No broker is needed for these.</summary>
public sealed class RabbitMQSettingsTests
{
    private const string Broker = "amqp://app:secret@127.0.0.1:5672";

    [Theory]
    [InlineData("Aspire:RabbitMQ:Client:DisableHealthChecks")]
    [InlineData("Aspire:RabbitMQ:Client:bus:DisableHealthChecks")]
    public void Health_check_disabled_in_configuration_is_left_out(string key)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = Broker });
        builder.AddRabbitMQClient("bus");
        // Set after the client is added, as a test host adds its configuration late: it still counts.
        builder.Configuration[key] = "true";
        using var host = builder.Build();

        Assert.Equal(["self"], RegisteredChecks(host));
    }

    [Fact]
    public void Health_check_disabled_for_one_connection_leaves_the_others_in()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = Broker, ["audit-bus"] = Broker });
        builder.Configuration["Aspire:RabbitMQ:Client:bus:DisableHealthChecks"] = "true";
        builder.AddRabbitMQClient("bus");
        builder.AddRabbitMQClient("audit-bus");
        using var host = builder.Build();

        Assert.Equal(["self", "audit-bus"], RegisteredChecks(host));
    }

    [Fact]
    public void Health_check_disabled_by_the_delegate_is_left_out_whatever_configuration_says()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = Broker });
        builder.Configuration["Aspire:RabbitMQ:Client:DisableHealthChecks"] = "false";
        builder.AddRabbitMQClient("bus", settings => settings.DisableHealthChecks = true);
        using var host = builder.Build();

        Assert.Equal(["self"], RegisteredChecks(host));
    }

    [Fact]
    public void Health_check_is_registered_by_default()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = Broker });
        builder.AddRabbitMQClient("bus");
        using var host = builder.Build();

        Assert.Equal(["self", "bus"], RegisteredChecks(host));
    }

    private static List<string> RegisteredChecks(IHost host) =>
        [.. host.Services.GetRequiredService<IOptions<HealthCheckServiceOptions>>().Value.Registrations.Select(registration => registration.Name)];
}
