using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Platform.Hosting.Testing;
using StackExchange.Redis;

namespace Platform.Keys.Tests.Infrastructure;

/// <summary>
/// The keys service in-process (WebApplicationFactory) against the real PostgreSQL, Redis and RabbitMQ that the
/// harness starts, on a fake clock that tests move forward for expiry and rotation windows.
/// </summary>
public sealed class KeysServiceFixture : IAsyncLifetime
{
    public const string RootToken = "root-admin-token-0123456789-0123456789-abcdef";
    public const string TenantToken = "tenant-admin-token-0123456789-0123456789-abc";
    public const string ServiceToken = "gateway-service-token-0123456789-0123456789";
    public const string TenantOrganization = "org_tenant";

    public string Pepper { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public CapturedLogs Logs { get; } = new();

    public ServerLease Servers { get; private set; } = null!;

    public WebApplicationFactory<Program> Service { get; private set; } = null!;

    public EventTap Events { get; private set; } = null!;

    public IConnectionMultiplexer Redis { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Events = await EventTap.StartAsync(Servers.GetConnectionString("messaging"), "key.#", "audit.recorded", "organization.#");
        Redis = await ConnectionMultiplexer.ConnectAsync(Servers.GetConnectionString("redis"));

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
                ["Keys:Pepper"] = Pepper,
                ["Keys:Administrators:0:Name"] = "root",
                ["Keys:Administrators:0:Token"] = RootToken,
                ["Keys:Administrators:0:Organizations:0"] = "*",
                ["Keys:Administrators:1:Name"] = "tenant-admin",
                ["Keys:Administrators:1:Token"] = TenantToken,
                ["Keys:Administrators:1:Organizations:0"] = TenantOrganization,
                ["Keys:ServiceTokens:0"] = ServiceToken,
                // Secrets need storage's transit API; these tests never store one (SecretsServiceFixture does).
                ["services:storage:http:0"] = "http://storage.invalid",
                ["Keys:Secrets:StorageToken"] = "storage-transit-token-0123456789-0123456789",
                ["Keys:Identity:Issuer"] = AccessTokens.Issuer,
                ["Keys:Identity:JwksUrl"] = AccessTokens.JwksUrl,
                // Everything is logged, at every level, so that the secrecy test can search all of it.
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
                ["Logging:LogLevel:Npgsql"] = "Trace",
            }));
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter, PeerAddressFilter>();
                // The identity service's JWKS, served by the test's own signing key without a network hop.
                services.AddHttpClient(nameof(Platform.Security.Tokens.SigningKeySet))
                    .ConfigurePrimaryHttpMessageHandler(() => new IdentityTokens.JwksHandler());
            });
        });
        _ = Service.Server;
    }

    /// <summary>
    /// Moves the service's clock forward once every outbox event is confirmed. The event bus measures its own waits
    /// (publish confirms, retry backoff) on the same TimeProvider, so a jump while a publish is in flight would time
    /// it out and park the relay until the next jump.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(Servers.GetConnectionString("keysdb"));
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        await using var unsent = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        while ((long)(await unsent.ExecuteScalarAsync())! > 0)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("The outbox did not drain within 15 s.");
            await Task.Delay(20);
        }

        Clock.Advance(by);
    }

    /// <summary>A client with an identity access token of <paramref name="organization"/> (see <see cref="AccessTokens"/>).</summary>
    public HttpClient UserClient(string organization, string[] roles, bool mfa = true, TimeSpan? authenticatedAgo = null, string scope = "platform.keys platform.secrets") =>
        Client(AccessTokens.Create(Clock, organization, roles, mfa, authenticatedAgo ?? TimeSpan.FromMinutes(1), scope: scope));

    /// <summary>
    /// The test server has no network peer; a request carrying this header is seen as coming from the address in it
    /// (set before anything else runs), so that the operator credentials' networks can be exercised.
    /// </summary>
    public const string PeerHeader = "X-Test-Peer";

    public HttpClient Client(string? token = RootToken)
    {
        var client = Service.CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (Service is not null) await Service.DisposeAsync();
        // Kept beside the harness's resource logs, to read after a failed run.
        // The folder the harness made when this process ran servers itself; joining the run's shared servers makes none.
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "platform-logs"));
        await File.WriteAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "platform-logs", "keys-service.log"), Logs.Lines);
        if (Events is not null) await Events.DisposeAsync();
        if (Redis is not null) await Redis.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
    }
}

internal sealed class PeerAddressFilter : Microsoft.AspNetCore.Hosting.IStartupFilter
{
    public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
    {
        app.Use(following => context =>
        {
            if (context.Request.Headers.Remove(KeysServiceFixture.PeerHeader, out var peer)) context.Connection.RemoteIpAddress = System.Net.IPAddress.Parse(peer.ToString());
            return following(context);
        });
        next(app);
    };
}

[CollectionDefinition(Name)]
public sealed class KeysServiceCollection : ICollectionFixture<KeysServiceFixture>
{
    public const string Name = "keys-service";
}
