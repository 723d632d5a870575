using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Testing;
using Platform.Keys.Secrets;

namespace Platform.Keys.Tests.Infrastructure;

/// <summary>
/// The keys service in-process against the real PostgreSQL and RabbitMQ, with storage's transit API answered by
/// <see cref="FakeTransit"/> (over the service's own HTTP client and resilience pipeline), for SPEC KEY-SECRETS.
/// </summary>
public sealed class SecretsServiceFixture : IAsyncLifetime
{
    public const string AdminToken = "secrets-admin-token-0123456789-0123456789-ab";
    public const string GatewayToken = "secrets-gateway-token-0123456789-0123456789";
    public const string ConsumerToken = "secrets-consumer-token-0123456789-0123456789";
    public const string TenantConsumerToken = "secrets-tenant-consumer-0123456789-0123456789";
    public const string StorageToken = "secrets-storage-token-0123456789-0123456789";
    public const string TenantOrganization = "org_secretstenant";

    public FakeTransit Transit { get; } = new(StorageToken);

    public CapturedLogs Logs { get; } = new();

    public ServerLease Servers { get; private set; } = null!;

    public WebApplicationFactory<Program> Service { get; private set; } = null!;

    public EventTap Events { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Events = await EventTap.StartAsync(Servers.GetConnectionString("messaging"), "secret.#", "audit.recorded");

        Service = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            // Settings, not app configuration: the host sees these before Program adds the clients, which Aspire
            // configures from what it reads then; configuration added here would arrive only when the app is built.
            web.UseSetting("ConnectionStrings:keysdb", Servers.GetConnectionString("keysdb"));
            web.UseSetting("ConnectionStrings:redis", Servers.GetConnectionString("redis"));
            web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Keys:Pepper"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Keys:Administrators:0:Name"] = "secrets-admin",
                ["Keys:Administrators:0:Token"] = AdminToken,
                ["Keys:Administrators:0:Organizations:0"] = "*",
                ["Keys:ServiceTokens:0"] = GatewayToken,
                ["services:storage:http:0"] = "http://storage.test",
                ["Keys:Secrets:StorageToken"] = StorageToken,
                ["Keys:Secrets:Consumers:0:Name"] = "deployer",
                ["Keys:Secrets:Consumers:0:Token"] = ConsumerToken,
                ["Keys:Secrets:Consumers:0:Organizations:0"] = "*",
                ["Keys:Secrets:Consumers:1:Name"] = "tenant-runner",
                ["Keys:Secrets:Consumers:1:Token"] = TenantConsumerToken,
                ["Keys:Secrets:Consumers:1:Organizations:0"] = TenantOrganization,
                // Everything is logged, at every level, so that the tests can search all of it for a value.
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
                ["Logging:LogLevel:Npgsql"] = "Trace",
            }));
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services => services.AddHttpClient(nameof(TransitClient)).ConfigurePrimaryHttpMessageHandler(() => Transit));
        });
        _ = Service.Server;
    }

    public HttpClient Client(string? token = AdminToken)
    {
        var client = Service.CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>The secret's row as stored, or null.</summary>
    public async Task<Dictionary<string, object?>?> RowAsync(string organization, string name)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(Servers.GetConnectionString("keysdb"));
        await using var command = dataSource.CreateCommand("SELECT * FROM organization_secrets WHERE organization_id = $1 AND name = $2");
        command.Parameters.AddWithValue(organization);
        command.Parameters.AddWithValue(name);
        await using var reader = await command.ExecuteReaderAsync();
        if (!await reader.ReadAsync()) return null;
        return Enumerable.Range(0, reader.FieldCount).ToDictionary(reader.GetName, i => reader.IsDBNull(i) ? null : reader.GetValue(i));
    }

    public async Task<long> CountAsync(string organization)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(Servers.GetConnectionString("keysdb"));
        await using var command = dataSource.CreateCommand("SELECT count(*) FROM organization_secrets WHERE organization_id = $1");
        command.Parameters.AddWithValue(organization);
        return (long)(await command.ExecuteScalarAsync())!;
    }

    public async Task DisposeAsync()
    {
        if (Service is not null) await Service.DisposeAsync();
        // The folder the harness made when this process ran servers itself; joining the run's shared servers makes none.
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "platform-logs"));
        await File.WriteAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "platform-logs", "keys-secrets-service.log"), Logs.Lines);
        if (Events is not null) await Events.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class SecretsServiceCollection : ICollectionFixture<SecretsServiceFixture>
{
    public const string Name = "keys-secrets-service";
}
