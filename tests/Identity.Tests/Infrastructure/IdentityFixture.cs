using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Platform.Hosting.Testing;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// The identity service against the real PostgreSQL and RabbitMQ that the harness starts, twice: in-process on a
/// fake clock for the API tests (TOTP steps, lockout and step-up windows are moved, not waited for), and on Kestrel
/// over HTTPS with a self-signed certificate on the real clock for the independent Node.js clients and Chromium.
/// </summary>
public sealed class IdentityFixture : IAsyncLifetime
{
    public const int IpLimit = 10;
    public const int Threshold = 5;
    public const int MfaThreshold = 5;
    public const int MfaFailuresPerIp = 8;

    public FakeTimeProvider Clock { get; } = new(TimeProvider.System.GetUtcNow());

    public CapturedLogs Logs { get; } = new();

    public string DataKey { get; } = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    public string MailFolder { get; } = Path.Combine(Path.GetTempPath(), $"identity-mail-{Guid.NewGuid():n}");

    public ServerLease Servers { get; private set; } = null!;

    /// <summary>The TXT records both service instances see instead of DNS (domain verification).</summary>
    public TestTxtResolver Txt { get; } = new();

    public WebApplicationFactory<Program> Service { get; private set; } = null!;

    public EventTap Events { get; private set; } = null!;

    public NpgsqlDataSource Database { get; private set; } = null!;

    private WebApplicationFactory<Program>? https;
    private readonly SemaphoreSlim httpsGate = new(1, 1);

    public Uri? HttpsAddress { get; private set; }

    public string CertificatePath { get; } = Path.Combine(Path.GetTempPath(), $"identity-cert-{Guid.NewGuid():n}.pem");

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Events = await EventTap.StartAsync(Servers.GetConnectionString("messaging"), "identity.#", "audit.recorded", "organization.#");
        Database = NpgsqlDataSource.Create(Servers.GetConnectionString("identitydb"));

        Service = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            Configure(web, "https://localhost/", IpLimit);
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        });
        Service.ClientOptions.BaseAddress = new Uri("https://localhost/");
        _ = Service.Server;
    }

    private void Configure(IWebHostBuilder web, string issuer, int ipLimit)
    {
        web.UseEnvironment("Development");
        // Settings, not app configuration: the host sees these before Program adds the clients, which Aspire
        // configures from what it reads then; configuration added here would arrive only when the app is built.
        web.UseSetting("ConnectionStrings:identitydb", Servers.GetConnectionString("identitydb"));
        web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
        web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Identity:Issuer"] = issuer,
            ["Identity:DataKey"] = DataKey,
            ["Identity:Mail:Folder"] = MailFolder,
            ["Identity:Lockout:AttemptsPerIpPerMinute"] = ipLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Identity:Lockout:Threshold"] = Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Identity:Lockout:MfaThreshold"] = MfaThreshold.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Identity:Lockout:MfaFailuresPerIp"] = MfaFailuresPerIp.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["Identity:TrustedProxies:0"] = "*",
            ["Identity:Sso:AllowLoopbackHttpIssuers"] = "true",
            ["Identity:Sso:AllowPrivateNetworks"] = "true",
            ["Logging:LogLevel:Default"] = "Trace",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Trace",
            ["Logging:LogLevel:OpenIddict"] = "Trace",
            ["Logging:LogLevel:Npgsql"] = "Trace",
        }));
        web.ConfigureTestServices(services => services.AddSingleton<Platform.Identity.Sso.IDomainTxtResolver>(Txt));
    }

    /// <summary>A second replica of the in-process service: same database, configuration and clock; the caller disposes it.</summary>
    public WebApplicationFactory<Program> NewReplica()
    {
        var replica = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            Configure(web, "https://localhost/", IpLimit);
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services => services.AddSingleton<TimeProvider>(Clock));
        });
        replica.ClientOptions.BaseAddress = new Uri("https://localhost/");
        return replica;
    }

    /// <summary>
    /// Moves the service's clock once every outbox event is confirmed: the event bus measures its own waits on the same
    /// TimeProvider, so a jump while a publish is in flight would park the relay until the next jump.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        await using var unsent = Database.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        while ((long)(await unsent.ExecuteScalarAsync())! > 0)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("The outbox did not drain within 15 s.");
            await Task.Delay(20);
        }

        Clock.Advance(by);
    }

    /// <summary>A client with its own cookies, coming from its own address (X-Forwarded-For, trusted in tests).</summary>
    public HttpClient Client(string? ip = null)
    {
        var client = Service.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost/"), HandleCookies = true, AllowAutoRedirect = false });
        client.DefaultRequestHeaders.Add("X-Forwarded-For", ip ?? NewIp());
        return client;
    }

    private static int nextIp;

    public static string NewIp()
    {
        var n = Interlocked.Increment(ref nextIp);
        return $"198.18.{n / 250}.{(n % 250) + 1}";
    }

    /// <summary>The service on Kestrel over HTTPS (real clock), for the Node.js clients and Chromium; started once.</summary>
    public async Task<Uri> StartHttpsAsync()
    {
        await httpsGate.WaitAsync();
        try
        {
            if (HttpsAddress is not null) return HttpsAddress;
            var port = FreePort();
            var address = new Uri($"https://localhost:{port}/");
            using var key = RSA.Create(2048);
            var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName("localhost");
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
            request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
            var now = TimeProvider.System.GetUtcNow();
            using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(7));
            var certificate = X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
            await File.WriteAllTextAsync(CertificatePath, created.ExportCertificatePem());

            https = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
            {
                Configure(web, address.ToString(), 1000);
                web.ConfigureLogging(logging =>
                {
                    logging.ClearProviders();
                    logging.AddProvider(Logs);
                });
            });
            https.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate)));
            https.StartServer();
            HttpsAddress = address;
            return address;
        }
        finally
        {
            httpsGate.Release();
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    /// <summary>The newest mail to an address, from the development mail folder, waiting up to 10 s for the relay.</summary>
    public async Task<string> MailToAsync(string address, string subjectContains)
    {
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        while (elapsed.Elapsed < TimeSpan.FromSeconds(10))
        {
            if (Directory.Exists(MailFolder))
            {
                foreach (var file in Directory.GetFiles(MailFolder, "*.eml").OrderByDescending(f => f, StringComparer.Ordinal))
                {
                    var text = await File.ReadAllTextAsync(file);
                    if (text.Contains($"To: {address}\r\n", StringComparison.Ordinal) && text.Contains(subjectContains, StringComparison.Ordinal)) return text;
                }
            }

            await Task.Delay(50);
        }

        Assert.Fail($"No mail '{subjectContains}' to {address} within 10 s.");
        return "";
    }

    /// <summary>The code (a 43-character token) in a mail.</summary>
    public static string CodeIn(string mail) => BrowserForms.CodeIn(mail);

    public async Task DisposeAsync()
    {
        if (https is not null) await https.DisposeAsync();
        if (Service is not null) await Service.DisposeAsync();
        var folder = Path.Combine(AppContext.BaseDirectory, "platform-logs");
        Directory.CreateDirectory(folder);
        await File.WriteAllLinesAsync(Path.Combine(folder, "identity-service.log"), Logs.Lines);
        if (Events is not null) await Events.DisposeAsync();
        if (Database is not null) await Database.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
        if (Directory.Exists(MailFolder)) Directory.Delete(MailFolder, recursive: true);
    }
}
