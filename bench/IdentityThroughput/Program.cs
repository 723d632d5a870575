using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Testing;
using Platform.Identity.Accounts;
using Platform.Identity.Oidc;
using Platform.Identity.Passwords;

// Identity throughput on this machine, in one run (issue #5): client-credentials grants per second (target >= 1,000)
// and password sign-ins per second divided by the Argon2id limit measured here (hashes/s on every core; target >= 0.9).
// The service runs on Kestrel over HTTPS against the harness's PostgreSQL and RabbitMQ; clients use pooled HTTP/1.1.
// Beside the grants, the same grant from npm oidc-provider on this machine (node/peer.mjs), the peer issue 20 names.
// Usage: dotnet run -c Release --project bench/IdentityThroughput [-- seconds]
namespace Platform.Bench.IdentityThroughput;

internal static class Bench
{
    public static async Task<int> Main(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10;
        var duration = TimeSpan.FromSeconds(seconds);

        await using var servers = await TestingApplication.CreateAsync(BenchArguments.Quiet);
        servers.KeepOnly("identitydb", "messaging");
        await servers.StartAsync();

        // WebApplicationFactory finds a test project's content root by attribute; a benchmark names it.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PLATFORM_IDENTITY", ServiceFolder());
        var port = FreePort();
        var issuer = $"https://localhost:{port}/";
        using var certificate = SelfSigned();
        await using var service = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            // Settings, not app configuration: the host sees these before Program adds Aspire's clients, which read
            // their connection strings then; configuration added below arrives only when the app is built.
            web.UseSetting("ConnectionStrings:identitydb", servers.GetConnectionString("identitydb"));
            web.UseSetting("ConnectionStrings:messaging", servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Identity:Issuer"] = issuer,
                ["Identity:DataKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Identity:Mail:Folder"] = Path.Combine(Path.GetTempPath(), "identity-bench-mail"),
                ["Identity:Lockout:AttemptsPerIpPerMinute"] = "1000000",
                ["Logging:LogLevel:Default"] = "Warning",
            }));
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        });
        service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate)));
        service.StartServer();
        var services = service.Services;

        // 1. The Argon2id limit: verifications per second with every core busy, nothing else running.
        var hasher = services.GetRequiredService<PasswordHasher>();
        const string password = "bench passphrase for sign-in 1";
        var hash = hasher.Hash(password);
        var hashes = await Parallel(Environment.ProcessorCount, TimeSpan.FromSeconds(5), worker =>
        {
            hasher.Verify(password, hash, out _);
            return Task.FromResult(true);
        }, "Argon2id verifications");
        Console.WriteLine($"Argon2id (m=19 MiB, t=2, p=1) verifications: {hashes:N1}/s on {Environment.ProcessorCount} cores");

        // 2. Sign-ins through HTTP: verified users inserted directly (same password, each sign-in still one full Argon2id).
        await using var db = Npgsql.NpgsqlDataSource.Create(servers.GetConnectionString("identitydb"));
        const int users = 2000;
        await using (var insert = db.CreateCommand(
            "INSERT INTO users (id, email, email_normalized, password_hash, email_verified_at, created_at) SELECT 'usr_bench' || i, 'bench' || i || '@example.com', 'bench' || i || '@example.com', $1, now(), now() FROM generate_series(1, $2) AS i"))
        {
            insert.Parameters.AddWithValue(hash);
            insert.Parameters.AddWithValue(users);
            await insert.ExecuteNonQueryAsync();
        }

        using var http = Client(certificate, issuer);
        var next = 0;
        var signIns = await Parallel(Environment.ProcessorCount * 2, duration, async _ =>
        {
            var n = (Interlocked.Increment(ref next) % users) + 1;
            using var response = await http.PostAsync("/v1/session", Json($$"""{"email":"bench{{n}}@example.com","password":"{{password}}"}"""));
            return response.StatusCode == HttpStatusCode.OK;
        }, "sign-ins");
        // The machine is shared: measure the limit again right after, and compare with the mean of both.
        var hashesAfter = await Parallel(Environment.ProcessorCount, TimeSpan.FromSeconds(5), worker =>
        {
            hasher.Verify(password, hash, out _);
            return Task.FromResult(true);
        });
        var limit = (hashes + hashesAfter) / 2;
        Console.WriteLine($"Argon2id verifications after the sign-ins: {hashesAfter:N1}/s");
        Console.WriteLine($"password sign-ins over HTTPS: {signIns:N1}/s; sign-ins / Argon2id limit = {signIns / limit:0.00} (target >= 0.9)");

        // 3. Client-credentials grants: a machine client of a bench organization.
        await using (var org = db.CreateCommand("INSERT INTO organizations (id, name, created_at) VALUES ('org_bench', 'bench', now())"))
        {
            await org.ExecuteNonQueryAsync();
        }

        NewClient machine;
        await using (var scope = services.CreateAsyncScope())
        {
            machine = await scope.ServiceProvider.GetRequiredService<ClientService>().CreateAsync("org_bench", "usr_bench1", "bench", "machine", [], ["platform.keys"],
                new RequestInfo("127.0.0.1", "bench", null), CancellationToken.None);
        }

        var form = $"grant_type=client_credentials&client_id={machine.ClientId}&client_secret={machine.ClientSecret}&scope=platform.keys";
        var grants = await Parallel(32, duration, async _ =>
        {
            using var response = await http.PostAsync("/connect/token", new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
            return response.StatusCode == HttpStatusCode.OK;
        }, "client-credentials grants");
        Console.WriteLine($"client-credentials grants over HTTPS: {grants:N1}/s; grants / 1,000 target = {grants / 1000:0.00}");

        // 4. The peer (issue 20 item 1): npm oidc-provider issuing the same grant (RS256 JWT access tokens, a client
        // secret in the form) over HTTPS on this machine, one node worker per core, right after ours.
        var peer = await PeerGrantsAsync(certificate, duration);
        Console.WriteLine($"peer: oidc-provider client-credentials grants over HTTPS: {peer:N1}/s; ours / peer = {grants / peer:0.00}");
        return 0;
    }

    private static async Task<double> PeerGrantsAsync(X509Certificate2 certificate, TimeSpan duration)
    {
        // Debian's node and npm, through the tests' installer (it takes turns with every other process that installs),
        // so that the bench runs on a machine where no test has run yet.
        await DebianPackages.EnsureAsync("nodejs", ["node"]);
        await DebianPackages.EnsureAsync("npm", ["npm"]);
        var folder = NodeFolder.InRepository("bench/IdentityThroughput/node");
        await folder.InstallAsync(chromium: false);
        var files = Directory.CreateTempSubdirectory("identity-bench-peer-").FullName;
        await File.WriteAllTextAsync(Path.Combine(files, "cert.pem"), certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(Path.Combine(files, "key.pem"), certificate.GetECDsaPrivateKey()!.ExportPkcs8PrivateKeyPem());
        var port = FreePort();
        var secret = Convert.ToHexString(RandomNumberGenerator.GetBytes(24));
        var start = new ProcessStartInfo("node", ["peer.mjs"]) { WorkingDirectory = folder.Path, RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PEER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        start.Environment["PEER_CERT"] = Path.Combine(files, "cert.pem");
        start.Environment["PEER_KEY"] = Path.Combine(files, "key.pem");
        start.Environment["PEER_CLIENT_ID"] = "bench-machine";
        start.Environment["PEER_CLIENT_SECRET"] = secret;
        using var node = Process.Start(start)!;
        try
        {
            using var ready = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (await node.StandardOutput.ReadLineAsync(ready.Token) is { } line && line != "READY")
            {
            }

            using var http = Client(certificate, $"https://localhost:{port}/");
            var form = $"grant_type=client_credentials&client_id=bench-machine&client_secret={secret}&scope=platform.keys";
            using (var first = await http.PostAsync("/token", new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded")))
            {
                var body = await first.Content.ReadAsStringAsync();
                // A JWT (three parts), as ours: an opaque token would be a cheaper, different product.
                if (!first.IsSuccessStatusCode || System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!.Split('.').Length != 3)
                {
                    throw new InvalidOperationException($"the peer's grant: {(int)first.StatusCode} {body}");
                }
            }

            return await Parallel(32, duration, async _ =>
            {
                using var response = await http.PostAsync("/token", new StringContent(form, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded"));
                return response.StatusCode == HttpStatusCode.OK;
            }, "peer grants (this process: the clients only)");
        }
        finally
        {
            node.Kill(entireProcessTree: true);
            Directory.Delete(files, recursive: true);
        }
    }

    /// <summary>
    /// Runs the operation on <paramref name="workers"/> loops for <paramref name="duration"/>; returns operations per second
    /// and prints the CPU time this process (service and clients) spent per operation, which swings far less than the
    /// rate with the neighbours' load on a shared machine (PostgreSQL's and RabbitMQ's own CPU is not in it).
    /// </summary>
    private static async Task<double> Parallel(int workers, TimeSpan duration, Func<int, Task<bool>> operation, string? label = null)
    {
        long done = 0, failed = 0;
        using var process = Process.GetCurrentProcess();
        var cpuBefore = process.TotalProcessorTime;
        var watch = Stopwatch.StartNew();
        var tasks = Enumerable.Range(0, workers).Select(worker => Task.Run(async () =>
        {
            while (watch.Elapsed < duration)
            {
                if (await operation(worker)) Interlocked.Increment(ref done);
                else Interlocked.Increment(ref failed);
            }
        }));
        await Task.WhenAll(tasks);
        process.Refresh();
        if (label is not null && done > 0) Console.WriteLine($"  {label}: {(process.TotalProcessorTime - cpuBefore).TotalMilliseconds / done:0.00} ms of this process's CPU per operation");
        if (failed > 0) Console.WriteLine($"  ({failed:N0} operations failed)");
        return done / watch.Elapsed.TotalSeconds;
    }

    private static StringContent Json(string body) => new(body, System.Text.Encoding.UTF8, "application/json");

    // No cookie container: a machine client sends none, and a sign-in comes from a browser without a session yet
    // (with one, every request would also pay the session cookie's check against the user's session generation).
    private static HttpClient Client(X509Certificate2 certificate, string issuer) => new(new SocketsHttpHandler
    {
        MaxConnectionsPerServer = 64,
        UseCookies = false,
        SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString() },
    })
    { BaseAddress = new Uri(issuer) };

    private static X509Certificate2 SelfSigned()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        request.CertificateExtensions.Add(names.Build());
        var now = TimeProvider.System.GetUtcNow();
        using var created = request.CreateSelfSigned(now.AddDays(-1), now.AddDays(1));
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pkcs12), null);
    }

    private static string ServiceFolder()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, "services", "identity");
            if (File.Exists(Path.Combine(candidate, "Identity.csproj"))) return candidate;
        }

        throw new InvalidOperationException("services/identity not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
