using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Tests.Infrastructure;

namespace Platform.ServiceDefaults.Tests;

/// <summary>What an operator sees when a connection string is missing or wrong. No server is needed for these.</summary>
public sealed class ConnectionStringTests
{
    private const string Password = "Sup3r-Secret-Pa55";

    [Theory]
    [InlineData(ClientKind.Postgres, "ledgerdb")]
    [InlineData(ClientKind.Redis, "cache")]
    [InlineData(ClientKind.RabbitMQ, "bus")]
    public async Task Missing_connection_string_stops_start_up_naming_the_variable(string client, string connectionName)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string>());
        ClientKind.Add(builder, client, connectionName);
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains($"ConnectionStrings__{connectionName}", error.Message);
        Assert.Contains($"ConnectionStrings:{connectionName}", error.Message);
    }

    [Fact]
    public async Task Blank_connection_string_counts_as_missing()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["ledgerdb"] = "   " });
        builder.AddNpgsqlDataSource("ledgerdb");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings__ledgerdb", error.Message);
    }

    [Fact]
    public async Task Every_missing_connection_string_is_named_in_one_error()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["present"] = "Host=127.0.0.1" });
        builder.AddNpgsqlDataSource("present");
        builder.AddNpgsqlDataSource("ledgerdb");
        builder.AddRedisClient("cache");
        builder.AddRabbitMQClient("bus");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings__ledgerdb", error.Message);
        Assert.Contains("ConnectionStrings__cache", error.Message);
        Assert.Contains("ConnectionStrings__bus", error.Message);
        Assert.DoesNotContain("ConnectionStrings__present", error.Message);
    }

    [Fact]
    public async Task Missing_connection_string_stops_start_up_before_any_hosted_service_starts()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string>());
        var probe = new StartedProbe();
        builder.Services.AddSingleton(probe);
        // Registered before the client, so it would be started first if the check ran in registration order.
        builder.Services.AddHostedService<RecordingHostedService>();
        builder.AddRedisClient("cache");
        using var host = builder.Build();

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.False(probe.Started, "a hosted service started although a connection string was missing");
    }

    [Fact(Skip = "BUG: the host constructs every IHostedService before ConnectionStringCheck.StartingAsync runs, so a hosted service "
        + "that takes a client (an event consumer, an outbox relay, the gateway's audit spool) fails first, naming only its own connection.")]
    public async Task Every_missing_connection_string_is_named_even_when_a_hosted_service_takes_a_client()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string>());
        builder.AddNpgsqlDataSource("ledgerdb");
        builder.AddRabbitMQClient("bus");
        builder.Services.AddHostedService<ServiceUsingTheDatabase>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings__ledgerdb", error.Message);
        Assert.Contains("ConnectionStrings__bus", error.Message);
    }

    [Theory]
    [InlineData(ClientKind.Postgres, $"Host=127.0.0.1;Port=not-a-port;Username=app;Password={Password}")]
    [InlineData(ClientKind.Postgres, $"Host=127.0.0.1;Username=app;Password='{Password}")]
    [InlineData(ClientKind.Redis, $"127.0.0.1:6379,password={Password},connectTimeout=soon")]
    [InlineData(ClientKind.Redis, $"127.0.0.1:6379,password={Password},colour=blue")]
    [InlineData(ClientKind.RabbitMQ, $"amqp://app:{Password}@127.0.0.1:not-a-port")]
    [InlineData(ClientKind.RabbitMQ, $"http://app:{Password}@127.0.0.1:5672")]
    public async Task Malformed_connection_string_error_never_contains_the_password(string client, string connectionString)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["dependency"] = connectionString });
        ClientKind.Add(builder, client, "dependency");
        using var host = builder.Build();
        await host.StartAsync();

        try
        {
            var error = Record.Exception(() => host.Services.GetRequiredService(ClientKind.ServiceType(client)));

            Assert.NotNull(error);
            Assert.True(error is InvalidOperationException or ArgumentException, $"unexpected {error.GetType().Name}");
            // ToString covers inner exceptions and their messages, which is what a crash log shows.
            Assert.DoesNotContain(Password, error.ToString());
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData(ClientKind.Postgres, $"Host=127.0.0.1;Port=not-a-port;Username=app;Password={Password}",
        Skip = "BUG: Npgsql's ArgumentException (\"Couldn't set port\") is passed through without naming the connection.")]
    [InlineData(ClientKind.Redis, $"127.0.0.1:6379,password={Password},colour=blue",
        Skip = "BUG: StackExchange.Redis's ArgumentException (\"Keyword 'colour' is not supported\") is passed through without naming the connection.")]
    [InlineData(ClientKind.RabbitMQ, $"amqp://app:{Password}@127.0.0.1:not-a-port")]
    public async Task Malformed_connection_string_error_names_the_connection(string client, string connectionString)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["dependency"] = connectionString });
        ClientKind.Add(builder, client, "dependency");
        using var host = builder.Build();
        await host.StartAsync();

        try
        {
            var error = Record.Exception(() => host.Services.GetRequiredService(ClientKind.ServiceType(client)));

            Assert.NotNull(error);
            Assert.Contains("'dependency'", error.Message);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    [Theory]
    [InlineData(ClientKind.Postgres, $"Host=127.0.0.1;Port=not-a-port;Username=app;Password={Password}",
        Skip = "BUG: the check's factory builds the data source and throws, so CheckHealthAsync (and /health) throws instead of reporting.")]
    [InlineData(ClientKind.Redis, $"127.0.0.1:6379,password={Password},colour=blue")]
    [InlineData(ClientKind.RabbitMQ, $"amqp://app:{Password}@127.0.0.1:not-a-port",
        Skip = "BUG: the check's factory builds the connection factory and throws, so CheckHealthAsync (and /health) throws instead of reporting.")]
    public async Task Malformed_connection_string_makes_its_health_check_unhealthy_without_the_password(string client, string connectionString)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["dependency"] = connectionString });
        ClientKind.Add(builder, client, "dependency");
        using var host = builder.Build();
        await host.StartAsync();

        try
        {
            var report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();

            var entry = report.Entries["dependency"];
            Assert.Equal(HealthStatus.Unhealthy, entry.Status);
            Assert.DoesNotContain(Password, $"{entry.Description} {entry.Exception}");
            Assert.Equal(HealthStatus.Healthy, report.Entries["self"].Status);
        }
        finally
        {
            await host.StopAsync();
        }
    }

    private sealed class ServiceUsingTheDatabase(NpgsqlDataSource dataSource) : BackgroundService
    {
        protected override Task ExecuteAsync(CancellationToken stoppingToken) => dataSource.OpenConnectionAsync(stoppingToken).AsTask();
    }

    private sealed class StartedProbe
    {
        public volatile bool Started;
    }

    private sealed class RecordingHostedService(StartedProbe probe) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            probe.Started = true;
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
