using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Platform.ServiceDefaults.Tests.Infrastructure;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Platform.ServiceDefaults.Tests;

/// <summary><c>MapDefaultEndpoints</c> on a real Kestrel listener, with clients for the real servers.</summary>
[Collection(ServersCollection.Name)]
public sealed class HealthEndpointTests(Servers servers)
{
    // The names Aspire's integrations give their checks.
    private const string PostgresCheck = "PostgreSql";
    private const string RedisCheck = "StackExchange.Redis";
    private const string RabbitMQCheck = "RabbitMQ.Client";

    [Fact]
    public async Task Health_and_alive_answer_200_when_every_dependency_is_up()
    {
        await using var app = await StartAsync(servers.Postgres);
        using var client = new HttpClient { BaseAddress = TestHosts.Address(app), Timeout = TimeSpan.FromSeconds(20) };

        using var health = await client.GetAsync("/health");
        using var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        var checks = await ChecksAsync(health);
        Assert.Equal("Healthy", checks[PostgresCheck]);
        Assert.Equal("Healthy", checks[RedisCheck]);
        Assert.Equal("Healthy", checks[RabbitMQCheck]);
        Assert.Equal("Healthy", checks["self"]);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
        // Liveness must not depend on the databases: a restart does not fix an outage elsewhere.
        Assert.Equal(["self"], (await ChecksAsync(alive)).Keys);
    }

    [Fact]
    public async Task Health_answers_503_while_a_dependency_is_down_and_alive_stays_200()
    {
        var nobodyListening = new NpgsqlConnectionStringBuilder(servers.Postgres) { Port = ClosedPort(), Timeout = 3 }.ConnectionString;
        await using var app = await StartAsync(nobodyListening);
        using var client = new HttpClient { BaseAddress = TestHosts.Address(app), Timeout = TimeSpan.FromSeconds(20) };

        using var health = await client.GetAsync("/health");
        using var alive = await client.GetAsync("/alive");

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        var checks = await ChecksAsync(health);
        Assert.Equal("Unhealthy", checks[PostgresCheck]);
        Assert.Equal("Healthy", checks[RedisCheck]);
        Assert.Equal(HttpStatusCode.OK, alive.StatusCode);
    }

    [Fact]
    public async Task Health_output_never_contains_a_connection_string_or_password()
    {
        var wrongPassword = $"Wr0ng-{Guid.NewGuid():n}";
        var failing = new NpgsqlConnectionStringBuilder(servers.Postgres) { Password = wrongPassword }.ConnectionString;
        await using var app = await StartAsync(failing);
        using var client = new HttpClient { BaseAddress = TestHosts.Address(app), Timeout = TimeSpan.FromSeconds(20) };

        using var health = await client.GetAsync("/health");
        var body = await health.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.ServiceUnavailable, health.StatusCode);
        Assert.Equal("application/json; charset=utf-8", health.Content.Headers.ContentType?.ToString());
        string[] secrets =
        [
            wrongPassword,
            new NpgsqlConnectionStringBuilder(servers.Postgres).Password!,
            ConfigurationOptions.Parse(servers.Redis).Password!,
            new ConnectionFactory { Uri = new Uri(servers.RabbitMQ) }.Password,
            failing,
            servers.Redis,
            servers.RabbitMQ,
        ];
        foreach (var secret in secrets)
        {
            Assert.DoesNotContain(secret, body);
        }

        Assert.DoesNotContain("Password", body, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("127.0.0.1", body);
    }

    /// <summary>A service with all three clients and the default endpoints; only PostgreSQL's connection varies.</summary>
    private async Task<WebApplication> StartAsync(string postgres)
    {
        var builder = TestHosts.CreateWebBuilder(new Dictionary<string, string>
        {
            ["postgres"] = postgres,
            ["redis"] = servers.Redis,
            ["messaging"] = servers.RabbitMQ,
        });
        builder.AddNpgsqlDataSource("postgres");
        builder.AddRedisClient("redis");
        builder.AddRabbitMQClient("messaging");

        var app = builder.Build();
        app.MapDefaultEndpoints();
        await app.StartAsync();
        return app;
    }

    private static async Task<Dictionary<string, string>> ChecksAsync(HttpResponseMessage response)
    {
        using var json = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return json.RootElement.GetProperty("checks").EnumerateObject().ToDictionary(check => check.Name, check => check.Value.GetString()!);
    }

    /// <summary>A loopback port that was free a moment ago and has no listener now.</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
