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

namespace Platform.Storage.Tests.Infrastructure;

/// <summary>
/// The storage service in-process (WebApplicationFactory) against the real PostgreSQL and RabbitMQ that the harness
/// starts, with a key-file root key, a private blob root, and a fake clock that tests move across rotation periods.
/// </summary>
public sealed class StorageServiceFixture : IAsyncLifetime
{
    public const string OperatorToken = "retention-service-token-0123456789-0123456789";
    public const string TenantServiceToken = "tenant-service-token-0123456789-0123456789-ab";
    public const string TenantOrganization = "org_tenant";
    public const string Region = "test";

    public string RootKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string BlobRoot { get; } = Path.Combine(Path.GetTempPath(), $"platform-blobs-{Guid.NewGuid():n}");

    /// <summary>The file provider's organization keys: outside the blob root and the database, as an HSM would be.</summary>
    public string OrganizationKeyFolder { get; } = Path.Combine(Path.GetTempPath(), $"platform-organization-keys-{Guid.NewGuid():n}");

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public CapturedLogs Logs { get; } = new();

    public ServerLease Servers { get; private set; } = null!;

    public WebApplicationFactory<Program> Service { get; private set; } = null!;

    public EventTap Events { get; private set; } = null!;

    /// <summary>The same service behind real Kestrel on a loopback port: HTTP as on the wire (chunked bodies, streaming both ways).</summary>
    public WebApplicationFactory<Program> Kestrel => kestrel ??= StartKestrel();

    private WebApplicationFactory<Program>? kestrel;
    private WebApplicationFactoryClientOptions? kestrelClientOptions;

    /// <summary>Without the redirect handler, which loads every request body into memory so that it could resend it.</summary>
    private static readonly WebApplicationFactoryClientOptions Unbuffered = new() { AllowAutoRedirect = false, HandleCookies = false };

    public string RegionRoot => Path.Combine(BlobRoot, Region);

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Events = await EventTap.StartAsync(Servers.GetConnectionString("messaging"), "object.#", "dataset.#", "encryption-key.#", "audit.#");
        Service = Create(new Dictionary<string, string?>());
        _ = Service.Server;
    }

    /// <summary>Another instance of the service on the same database, clock and blob root, with settings changed.</summary>
    public WebApplicationFactory<Program> Create(IDictionary<string, string?> overrides) =>
        new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            // Settings, not app configuration: the host sees these before Program adds the clients, which Aspire
            // configures from what it reads then; configuration added here would arrive only when the app is built.
            web.UseSetting("ConnectionStrings:storagedb", Servers.GetConnectionString("storagedb"));
            web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) =>
            {
                configuration.AddInMemoryCollection(new Dictionary<string, string?>
                {
                    ["Storage:Region"] = Region,
                    ["Storage:BlobRoot"] = BlobRoot,
                    ["Storage:RootKey:Provider"] = "File",
                    ["Storage:RootKey:Key"] = RootKey,
                    ["Storage:RootKey:OrganizationKeyFolder"] = OrganizationKeyFolder,
                    // Key epochs far apart: these tests move the clock by months and look at 90-day rotation, retirement and
                    // shredding; RetiredVersionsTests sets the deletion-reach defaults on an instance of its own.
                    ["Storage:BackupReach:EpochRotation"] = "3000.00:00:00",
                    ["Storage:BackupReach:BackupRetention"] = "600.00:00:00",
                    ["Storage:BackupReach:Bound"] = "3650.00:00:00",
                    ["Storage:MaxObjectBytes"] = (4L * 1024 * 1024 * 1024).ToString(System.Globalization.CultureInfo.InvariantCulture),
                    ["Storage:ServiceTokens:0:Name"] = "retention",
                    ["Storage:ServiceTokens:0:Token"] = OperatorToken,
                    ["Storage:ServiceTokens:0:Organizations:0"] = "*",
                    ["Storage:ServiceTokens:1:Name"] = "tenant-service",
                    ["Storage:ServiceTokens:1:Token"] = TenantServiceToken,
                    ["Storage:ServiceTokens:1:Organizations:0"] = TenantOrganization,
                    // Everything is logged, at every level, so that the secrecy test can search all of it.
                    ["Logging:LogLevel:Default"] = "Trace",
                    ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
                    ["Logging:LogLevel:Npgsql"] = "Trace",
                });
                configuration.AddInMemoryCollection(overrides);
            });
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        });

    private WebApplicationFactory<Program> StartKestrel()
    {
        var factory = Create(new Dictionary<string, string?>());
        factory.UseKestrel(0);
        factory.StartServer();
        var address = factory.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>()
            .Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses.First();
        kestrelClientOptions = new() { AllowAutoRedirect = false, HandleCookies = false, BaseAddress = new Uri(address.Replace("[::]", "localhost", StringComparison.Ordinal)) };
        return factory;
    }

    /// <summary>
    /// Moves the service's clock forward once every outbox event is confirmed: the event bus measures its own waits on
    /// the same TimeProvider, so a jump while a publish is in flight would time it out.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(Servers.GetConnectionString("storagedb"));
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        await using var unsent = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        while ((long)(await unsent.ExecuteScalarAsync())! > 0)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("The outbox did not drain within 15 s.");
            await Task.Delay(20);
        }

        Clock.Advance(by);
    }

    /// <summary>The client address the gateway reports for <see cref="Gateway"/> clients.</summary>
    public const string ClientAddress = "203.0.113.77";

    /// <summary>A client as the gateway forwards it: the verified principal of an API key of <paramref name="organization"/>.</summary>
    public HttpClient Gateway(string organization, string scopes = "dataset:full", WebApplicationFactory<Program>? service = null, string environment = "live",
        string keyId = "key_0123456789abcdef0123456789abcdef")
    {
        var client = (service ?? Service).CreateClient(service is not null && service == kestrel ? kestrelClientOptions! : Unbuffered);
        client.Timeout = TimeSpan.FromMinutes(5);
        client.DefaultRequestHeaders.Add("X-Platform-Organization", organization);
        client.DefaultRequestHeaders.Add("X-Platform-Key-Id", keyId);
        client.DefaultRequestHeaders.Add("X-Platform-Environment", environment);
        client.DefaultRequestHeaders.Add("X-Platform-Client-Address", ClientAddress);
        client.DefaultRequestHeaders.Add("X-Platform-Scopes", scopes);
        return client;
    }

    /// <summary>A client as another service: a bearer service credential.</summary>
    public HttpClient ServiceClient(string token = OperatorToken, WebApplicationFactory<Program>? service = null)
    {
        var client = (service ?? Service).CreateClient(service is not null && service == kestrel ? kestrelClientOptions! : Unbuffered);
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (kestrel is not null) await kestrel.DisposeAsync();
        if (Service is not null) await Service.DisposeAsync();
        if (Servers is not null)
        {
            // Kept beside the harness's resource logs, to read after a failed run.
            var folder = Path.Combine(AppContext.BaseDirectory, "platform-logs");
            Directory.CreateDirectory(folder);
            await File.WriteAllLinesAsync(Path.Combine(folder, "storage-service.log"), Logs.Lines);
        }

        if (Events is not null) await Events.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
        if (Directory.Exists(BlobRoot)) Directory.Delete(BlobRoot, recursive: true);
        if (Directory.Exists(OrganizationKeyFolder)) Directory.Delete(OrganizationKeyFolder, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class StorageServiceCollection : ICollectionFixture<StorageServiceFixture>
{
    public const string Name = "storage-service";
}
