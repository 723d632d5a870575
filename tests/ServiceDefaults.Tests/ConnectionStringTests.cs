using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Tests.Infrastructure;

namespace Platform.ServiceDefaults.Tests;

/// <summary>
/// What an operator sees when a connection string is missing or wrong: our check on top of Aspire's integrations,
/// which would connect to a default address, name one connection at a time or quote the value. No server is needed.
/// </summary>
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
        ClientKind.Add(builder, ClientKind.Postgres, "ledgerdb");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings__ledgerdb", error.Message);
    }

    [Fact]
    public async Task Every_missing_connection_string_is_named_in_one_error()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["present"] = "Host=127.0.0.1" });
        ClientKind.Add(builder, ClientKind.Postgres, "present");
        ClientKind.Add(builder, ClientKind.Postgres, "ledgerdb");
        ClientKind.Add(builder, ClientKind.Redis, "cache");
        ClientKind.Add(builder, ClientKind.RabbitMQ, "bus");
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
        ClientKind.Add(builder, ClientKind.Redis, "cache");
        using var host = builder.Build();

        await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.False(probe.Started, "a hosted service started although a connection string was missing");
    }

    [Fact]
    public async Task Every_missing_connection_string_is_named_even_when_a_hosted_service_takes_a_client()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string>());
        ClientKind.Add(builder, ClientKind.Postgres, "ledgerdb");
        ClientKind.Add(builder, ClientKind.RabbitMQ, "bus");
        builder.Services.AddHostedService<ServiceUsingTheDatabase>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("ConnectionStrings__ledgerdb", error.Message);
        Assert.Contains("ConnectionStrings__bus", error.Message);
    }

    [Fact]
    public async Task Missing_and_malformed_connection_strings_are_named_in_one_error()
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["bus"] = $"http://app:{Password}@127.0.0.1:5672" });
        ClientKind.Add(builder, ClientKind.Postgres, "ledgerdb");
        ClientKind.Add(builder, ClientKind.RabbitMQ, "bus");
        builder.Services.AddHostedService<ServiceUsingTheDatabase>();
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("Connection string 'ledgerdb' is missing", error.Message);
        Assert.Contains("Connection string 'bus' is not an AMQP URI", error.Message);
        Assert.DoesNotContain(Password, error.ToString());
    }

    [Theory]
    [InlineData(ClientKind.Postgres, $"Host=127.0.0.1;Port=not-a-port;Username=app;Password={Password}")]
    [InlineData(ClientKind.Postgres, $"Host=127.0.0.1;Username=app;Password='{Password}")]
    [InlineData(ClientKind.Redis, $"127.0.0.1:6379,password={Password},connectTimeout=soon")]
    [InlineData(ClientKind.Redis, $"127.0.0.1:6379,password={Password},colour=blue")]
    [InlineData(ClientKind.RabbitMQ, $"amqp://app:{Password}@127.0.0.1:not-a-port")]
    [InlineData(ClientKind.RabbitMQ, $"http://app:{Password}@127.0.0.1:5672")]
    public async Task Malformed_connection_string_stops_start_up_without_the_password(string client, string connectionString)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["dependency"] = connectionString });
        ClientKind.Add(builder, client, "dependency");
        using var host = builder.Build();

        var startUp = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        // A constructor that takes the client, which the host runs before it starts anything, gets the same error.
        var resolution = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService(ClientKind.ServiceType(client)));

        // ToString covers inner exceptions and their messages, which is what a crash log shows.
        Assert.DoesNotContain(Password, startUp.ToString());
        Assert.DoesNotContain(Password, resolution.ToString());
    }

    [Theory]
    [InlineData(ClientKind.Postgres, $"Host=127.0.0.1;Port=not-a-port;Username=app;Password={Password}")]
    [InlineData(ClientKind.Redis, $"127.0.0.1:6379,password={Password},colour=blue")]
    [InlineData(ClientKind.RabbitMQ, $"amqp://app:{Password}@127.0.0.1:not-a-port")]
    public async Task Malformed_connection_string_error_names_the_connection(string client, string connectionString)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["dependency"] = connectionString });
        ClientKind.Add(builder, client, "dependency");
        using var host = builder.Build();

        var startUp = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        var resolution = Assert.Throws<InvalidOperationException>(() => host.Services.GetRequiredService(ClientKind.ServiceType(client)));

        Assert.Contains("'dependency'", startUp.Message);
        Assert.Contains("ConnectionStrings__dependency", startUp.Message);
        Assert.Equal(startUp.Message, resolution.Message);
    }

    // A password with the parser's separator in it is cut in two, and parsers quote the piece they then choke on.
    [Theory]
    [InlineData(ClientKind.Postgres, "Host=127.0.0.1;Username=app;Password=Sup3r;Tail-0f-Pa55=x", "Tail-0f-Pa55")]
    [InlineData(ClientKind.Redis, "127.0.0.1:6379,password=Sup3r,Tail-0f-Pa55=x", "Tail-0f-Pa55")]
    public async Task Malformed_connection_string_error_never_quotes_a_piece_of_the_value(string client, string connectionString, string piece)
    {
        var builder = TestHosts.CreateBuilder(new Dictionary<string, string> { ["dependency"] = connectionString });
        ClientKind.Add(builder, client, "dependency");
        using var host = builder.Build();

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());

        Assert.Contains("'dependency'", error.Message);
        Assert.DoesNotContain(piece, error.ToString(), StringComparison.OrdinalIgnoreCase);
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
