extern alias keys;
extern alias storage;
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
using Platform.Retention.Tests.Infrastructure;
using KeysProgram = keys::Program;
using StorageProgram = storage::Program;

namespace Platform.Retention.Tests.Backups;

/// <summary>
/// A live storage (its database, blob root, key-file root key and organization key folder) and retention configured to
/// back up storage's and retention's databases and storage's blob root, both in-process on the harness's real
/// PostgreSQL and RabbitMQ and one fake clock. <see cref="StartRestoredStorage"/> starts a second storage on a restore's
/// targets, with the same root key and organization key folder (they live on, like an HSM, outside every backup). A live
/// keys service stores customer secrets sealed by that storage's transit keys; its database is backed up too.
/// </summary>
public sealed class BackupFixture : IAsyncLifetime
{
    public const string RestorerToken = "backup-restorer-token-0123456789-0123456789";
    public const string ReaderToken = "backup-reader-token-0123456789-0123456789-ab";
    public const string PlanOperatorToken = "retention-operator-token-0123456789-0123456789";
    public const string Region = "test";
    public const string KeysAdminToken = "backup-keys-admin-token-0123456789-0123456789";
    public const string KeysStorageToken = "backup-keys-storage-token-0123456789-0123456789";

    private readonly string scratch = Path.Combine(Path.GetTempPath(), $"platform-backup-tests-{Guid.NewGuid():n}");
    private readonly List<WebApplicationFactory<StorageProgram>> restored = [];

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public CapturedLogs Logs { get; } = new();

    public string RootKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string BlobRoot => Path.Combine(scratch, "blobs");

    public string OrganizationKeyFolder => Path.Combine(scratch, "organization-keys");

    public string BackupFolder => Path.Combine(scratch, "backups");

    public ServerLease Servers { get; private set; } = null!;

    /// <summary>Another corner of the servers, for restored instances: their own databases and RabbitMQ virtual host.</summary>
    public ServerLease Fresh { get; private set; } = null!;

    public WebApplicationFactory<StorageProgram> Storage { get; private set; } = null!;

    /// <summary>What the services publish (audit entries are mandatory messages: they need a bound queue).</summary>
    public EventTap Events { get; private set; } = null!;

    private EventTap freshEvents = null!;

    public WebApplicationFactory<Program> Retention { get; private set; } = null!;

    /// <summary>Keys, its secrets sealed through <see cref="Storage"/>'s transit API (its own credential, caller <c>keys</c>).</summary>
    public WebApplicationFactory<KeysProgram> Keys { get; private set; } = null!;

    public string StorageDb => Servers.GetConnectionString("storagedb");

    public string KeysDb => Servers.GetConnectionString("keysdb");

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Fresh = await TestServers.LeaseAsync();
        Events = await EventTap.StartAsync(Servers.GetConnectionString("messaging"), "audit.#", "object.#", "encryption-key.#");
        freshEvents = await EventTap.StartAsync(Fresh.GetConnectionString("messaging"), "audit.#");
        Storage = CreateStorage(StorageDb, BlobRoot, Servers.GetConnectionString("messaging"));
        _ = Storage.Server;
        Keys = CreateKeys();
        _ = Keys.Server;
        Retention = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:retentiondb", Servers.GetConnectionString("retentiondb"));
            web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Retention:Operators:0:Name"] = "plans",
                ["Retention:Operators:0:Token"] = PlanOperatorToken,
                ["Retention:Operators:0:Organizations:0"] = "*",
                ["Retention:StorageToken"] = "retention-storage-token-0123456789-0123456789",
                ["Retention:Purge:SigningKey"] = "retention-receipt-key-0123456789-0123456789",
                ["Retention:Identity:Issuer"] = AccessTokens.Issuer,
                ["Retention:Identity:JwksUrl"] = AccessTokens.JwksUrl,
                ["Retention:Backups:Folder"] = BackupFolder,
                ["Retention:Backups:Key"] = "backup-key-0123456789-0123456789-0123456789",
                ["Retention:Backups:SigningKey"] = "backup-signing-key-0123456789-0123456789-01",
                ["Retention:Backups:Databases:0:Name"] = "storage-test",
                ["Retention:Backups:Databases:0:ConnectionString"] = StorageDb,
                ["Retention:Backups:Databases:1:Name"] = "retention",
                ["Retention:Backups:Databases:1:ConnectionString"] = Servers.GetConnectionString("retentiondb"),
                ["Retention:Backups:Databases:2:Name"] = "keys",
                ["Retention:Backups:Databases:2:ConnectionString"] = KeysDb,
                ["Retention:Backups:Databases:2:TransitKeys"] = "storage-test",
                ["Retention:Backups:BlobRoots:0:Name"] = "storage-test-blobs",
                ["Retention:Backups:BlobRoots:0:Path"] = BlobRoot,
                ["Retention:Backups:BlobRoots:0:Database"] = "storage-test",
                ["Retention:Backups:Operators:0:Name"] = "backup-restorer",
                ["Retention:Backups:Operators:0:Token"] = RestorerToken,
                ["Retention:Backups:Operators:0:Restore"] = "true",
                ["Retention:Backups:Operators:1:Name"] = "backup-reader",
                ["Retention:Backups:Operators:1:Token"] = ReaderToken,
                ["Logging:LogLevel:Default"] = "Trace",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            }));
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddHttpClient(nameof(Platform.Security.Tokens.SigningKeySet)).ConfigurePrimaryHttpMessageHandler(() => new IdentityTokens.JwksHandler());
            });
        });
        _ = Retention.Server;
    }

    private WebApplicationFactory<StorageProgram> CreateStorage(string database, string blobRoot, string messaging) =>
        new WebApplicationFactory<StorageProgram>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:storagedb", database);
            web.UseSetting("ConnectionStrings:messaging", messaging);
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Storage:Region"] = Region,
                ["Storage:BlobRoot"] = blobRoot,
                ["Storage:RootKey:Provider"] = "File",
                ["Storage:RootKey:Key"] = RootKey,
                ["Storage:RootKey:OrganizationKeyFolder"] = OrganizationKeyFolder,
                ["Storage:ServiceTokens:0:Name"] = "operator",
                ["Storage:ServiceTokens:0:Token"] = "storage-operator-token-0123456789-0123456789",
                ["Storage:ServiceTokens:0:Organizations:0"] = "*",
                ["Storage:ServiceTokens:1:Name"] = "keys",
                ["Storage:ServiceTokens:1:Token"] = KeysStorageToken,
                ["Storage:ServiceTokens:1:Organizations:0"] = "*",
                // The defaults (7-day epochs, 21 days of backups, 30 days), with keys' report interval.
                ["Storage:BackupReach:TransitReportInterval"] = "01:00:00",
                ["Logging:LogLevel:Default"] = "Information",
            }));
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        });

    /// <summary>Keys on the live database, sealing secrets through <paramref name="transit"/> (by default the live storage).</summary>
    private WebApplicationFactory<KeysProgram> CreateKeys() =>
        new WebApplicationFactory<KeysProgram>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:keysdb", KeysDb);
            web.UseSetting("ConnectionStrings:redis", Servers.GetConnectionString("redis"));
            web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Keys:Pepper"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Keys:Administrators:0:Name"] = "backup-keys-admin",
                ["Keys:Administrators:0:Token"] = KeysAdminToken,
                ["Keys:Administrators:0:Organizations:0"] = "*",
                ["Keys:ServiceTokens:0"] = "backup-keys-gateway-token-0123456789-0123456789",
                ["services:storage:http:0"] = "http://storage.test",
                ["Keys:Secrets:StorageToken"] = KeysStorageToken,
                // The test runs the rewrap pass itself, where the platform runs it every hour (the timer's longest: it never fires here).
                ["Keys:Secrets:RewrapInterval"] = "45.00:00:00",
                ["Logging:LogLevel:Default"] = "Information",
            }));
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton<TimeProvider>(Clock);
                services.AddHttpClient(nameof(keys::Platform.Keys.Secrets.TransitClient)).ConfigurePrimaryHttpMessageHandler(() => Storage.Server.CreateHandler());
            });
        });

    /// <summary>Keys' secrets pass once, now: reports the versions in use, rewraps stale secrets, reports again.</summary>
    public Task<int> RewrapSecretsAsync() =>
        Keys.Services.GetRequiredService<keys::Platform.Keys.Secrets.SecretRewrapper>().RunOnceAsync(CancellationToken.None);

    /// <summary>A keys administrator's client.</summary>
    public HttpClient KeysAdministrator()
    {
        var client = Keys.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", KeysAdminToken);
        return client;
    }

    /// <summary>A storage on a restore's targets (a database and blob root of <see cref="Fresh"/>), on its own virtual host.</summary>
    public WebApplicationFactory<StorageProgram> StartRestoredStorage(string database, string blobRoot)
    {
        var factory = CreateStorage(database, blobRoot, Fresh.GetConnectionString("messaging"));
        _ = factory.Server;
        restored.Add(factory);
        return factory;
    }

    public string ScratchFolder(string name) => Path.Combine(scratch, name);

    /// <summary>Runs storage's key maintenance (rotation, rewrap, destruction of retired versions) once, now, on <paramref name="service"/>.</summary>
    public Task MaintainKeysAsync(WebApplicationFactory<StorageProgram>? service = null) =>
        (service ?? Storage).Services.GetRequiredService<storage::Platform.Storage.Keys.KeyMaintenanceService>().RunOnceAsync(CancellationToken.None);

    /// <summary>Moves the clock once both outboxes are drained (the event bus times its waits on the same clock).</summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        foreach (var database in new[] { StorageDb, Servers.GetConnectionString("retentiondb"), KeysDb })
        {
            await using var dataSource = Npgsql.NpgsqlDataSource.Create(database);
            var elapsed = System.Diagnostics.Stopwatch.StartNew();
            await using var unsent = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
            while ((long)(await unsent.ExecuteScalarAsync())! > 0)
            {
                if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("An outbox did not drain within 15 s.");
                await Task.Delay(20);
            }
        }

        Clock.Advance(by);
    }

    /// <summary>A storage client as the gateway forwards an API key of <paramref name="organization"/>.</summary>
    public static HttpClient Gateway(WebApplicationFactory<StorageProgram> service, string organization)
    {
        var client = service.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });
        client.DefaultRequestHeaders.Add("X-Platform-Organization", organization);
        client.DefaultRequestHeaders.Add("X-Platform-Key-Id", "key_0123456789abcdef0123456789abcdef");
        client.DefaultRequestHeaders.Add("X-Platform-Environment", "live");
        client.DefaultRequestHeaders.Add("X-Platform-Client-Address", "203.0.113.78");
        client.DefaultRequestHeaders.Add("X-Platform-Scopes", "dataset:full");
        return client;
    }

    public HttpClient Operator(string? token = RestorerToken)
    {
        var client = Retention.CreateClient();
        client.Timeout = TimeSpan.FromMinutes(5);
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    /// <summary>platformctl against this retention service, with <paramref name="token"/> in a file.</summary>
    public async Task<(int Exit, string Output, string Error)> CtlAsync(string token, params string[] arguments)
    {
        var tokenFile = Path.Combine(scratch, $"token-{Guid.NewGuid():n}");
        Directory.CreateDirectory(scratch);
        await File.WriteAllTextAsync(tokenFile, token);
        var output = new StringWriter();
        var error = new StringWriter();
        var exit = await Platform.Ctl.PlatformCli.RunAsync([.. arguments, "--service", "http://localhost", "--token-file", tokenFile], output, error, Retention.Server.CreateHandler());
        File.Delete(tokenFile);
        return (exit, output.ToString(), error.ToString());
    }

    public async Task DisposeAsync()
    {
        foreach (var factory in restored) await factory.DisposeAsync();
        if (Retention is not null) await Retention.DisposeAsync();
        if (Keys is not null) await Keys.DisposeAsync();
        if (Storage is not null) await Storage.DisposeAsync();
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "platform-logs"));
        await File.WriteAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "platform-logs", "backup-services.log"), Logs.Lines);
        if (Events is not null) await Events.DisposeAsync();
        if (freshEvents is not null) await freshEvents.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
        if (Fresh is not null) await Fresh.DisposeAsync();
        if (Directory.Exists(scratch)) Directory.Delete(scratch, recursive: true);
    }
}

[CollectionDefinition(Name)]
public sealed class BackupCollection : ICollectionFixture<BackupFixture>
{
    public const string Name = "backups";
}
