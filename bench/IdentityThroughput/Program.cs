using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Platform.Bench.GatewayEdge;
using Platform.Hosting.Testing;
using Platform.Identity.Accounts;
using Platform.Identity.Oidc;
using Platform.Identity.Passwords;

// Identity throughput on this machine, in one run (issue #5): client-credentials grants per second (target >= 1,000)
// and password sign-ins per second divided by the Argon2id limit measured here (hashes/s on every core; target >= 0.9).
// The service runs on Kestrel over HTTPS against the harness's PostgreSQL and RabbitMQ; clients use pooled HTTP/1.1.
// Beside the grants, the same grant from npm oidc-provider on this machine (node/peer.mjs), the peer issue 20 names.
// Before measuring, it asserts that bad input is refused (wrong password, unknown account, wrong client secret, a scope
// the client was not given, a deleted client). Each phase prints where the CPU goes per operation (issue 20 item 5):
// this process (service and clients) by kind of thread, PostgreSQL, RabbitMQ, and the work itself measured alone
// (one Argon2id verification, one ES256 signature with the service's key); the peer's node processes likewise.
// Usage: dotnet run -c Release --project bench/IdentityThroughput [-- seconds [parts]], parts a comma list of
// sign-ins, grants, peer (all three by default; dotnet-trace attaches better to a run of one), and "uncached" for an A/B
// run of the grants with OpenIddict's per-request application cache instead of the replica's (services/identity/README.md).
namespace Platform.Bench.IdentityThroughput;

internal static class Bench
{
    public static async Task<int> Main(string[] args)
    {
        var seconds = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 10;
        var duration = TimeSpan.FromSeconds(seconds);
        var parts = (args.Length > 1 ? args[1] : "sign-ins,grants,peer").Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet();

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
            // "uncached" (A/B runs): OpenIddict's own application cache, which lives one request, instead of the replica's.
            if (parts.Contains("uncached"))
            {
                web.ConfigureTestServices(services => services.RemoveAll<OpenIddict.Abstractions.IOpenIddictApplicationCache<OpenIddict.EntityFrameworkCore.Models.OpenIddictEntityFrameworkCoreApplication>>());
            }
        });
        service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate)));
        service.StartServer();
        var services = service.Services;

        // Verified users inserted directly (same password, each sign-in still one full Argon2id), and a bench organization.
        var hasher = services.GetRequiredService<PasswordHasher>();
        const string password = "bench passphrase for sign-in 1";
        var hash = hasher.Hash(password);
        await using var db = Npgsql.NpgsqlDataSource.Create(servers.GetConnectionString("identitydb"));
        database = db;
        const int users = 2000;
        await using (var insert = db.CreateCommand(
            "INSERT INTO users (id, email, email_normalized, password_hash, email_verified_at, created_at) SELECT 'usr_bench' || i, 'bench' || i || '@example.com', 'bench' || i || '@example.com', $1, now(), now() FROM generate_series(1, $2) AS i"))
        {
            insert.Parameters.AddWithValue(hash);
            insert.Parameters.AddWithValue(users);
            await insert.ExecuteNonQueryAsync();
        }

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

        using var http = Client(certificate, issuer);
        var form = $"grant_type=client_credentials&client_id={machine.ClientId}&client_secret={machine.ClientSecret}&scope=platform.keys";
        await RefusesBadInputAsync(http, services, form, machine, password);

        if (parts.Contains("sign-ins"))
        {
            await SignInsAsync(http, hasher, password, hash, users, duration);
        }

        if (parts.Contains("grants"))
        {
            // The work itself: one ES256 signature of a token-sized payload with the service's current key, on every core.
            var key = services.GetRequiredService<SigningKeyRing>().Current.ECDsa;
            var payload = RandomNumberGenerator.GetBytes(420);
            var (signatures, signatureCpu) = await Measured(Environment.ProcessorCount, TimeSpan.FromSeconds(3), _ =>
            {
                key.SignData(payload, HashAlgorithmName.SHA256);
                return Task.FromResult(true);
            }, "ES256 signatures");
            Console.WriteLine($"ES256 signatures alone: {signatures:N0}/s on {Environment.ProcessorCount} cores");

            var (grants, grantCpu) = await Measured(32, duration, async _ =>
            {
                using var response = await http.PostAsync("/connect/token", Form(form));
                return response.StatusCode == HttpStatusCode.OK;
            }, "client-credentials grants");
            Console.WriteLine($"client-credentials grants over HTTPS: {grants:N1}/s; grants / 1,000 target = {grants / 1000:0.00}; "
                + $"the signature is {signatureCpu.Total / grantCpu.Total:P1} of the CPU per grant");
            if (parts.Contains("peer"))
            {
                // The peer (issue 20 item 1): npm oidc-provider issuing the same grant (RS256 JWT access tokens, a client
                // secret in the form) over HTTPS on this machine, one node worker per core, right after ours.
                var peer = await PeerGrantsAsync(certificate, duration);
                Console.WriteLine($"peer: oidc-provider client-credentials grants over HTTPS: {peer.Rate:N1}/s; ours / peer = {grants / peer.Rate:0.00}; "
                    + $"CPU per grant: ours {grantCpu.Total * 1000:0.00} ms (this process {grantCpu.Process * 1000:0.00}, of which the clients about {peer.ClientCpu * 1000:0.00}), "
                    + $"the peer's node {peer.NodeCpu * 1000:0.00} ms");
            }
        }

        return 0;
    }

    /// <summary>
    /// Password sign-ins over HTTPS ÷ the Argon2id limit measured alone right before and after (the machine is shared:
    /// the mean of both), and the share of the sign-ins' CPU that is the hash itself.
    /// </summary>
    private static async Task SignInsAsync(HttpClient http, PasswordHasher hasher, string password, string hash, int users, TimeSpan duration)
    {
        var (hashes, hashCpu) = await Measured(Environment.ProcessorCount, TimeSpan.FromSeconds(5), worker =>
        {
            hasher.Verify(password, hash, out _);
            return Task.FromResult(true);
        }, "Argon2id verifications");
        Console.WriteLine($"Argon2id (m=19 MiB, t=2, p=1) verifications: {hashes:N1}/s on {Environment.ProcessorCount} cores");

        var next = 0;
        var (signIns, signInCpu) = await Measured(Environment.ProcessorCount * 2, duration, async _ =>
        {
            var n = (Interlocked.Increment(ref next) % users) + 1;
            using var response = await http.PostAsync("/v1/session", Json($$"""{"email":"bench{{n}}@example.com","password":"{{password}}"}"""));
            return response.StatusCode == HttpStatusCode.OK;
        }, "sign-ins");
        var (hashesAfter, hashCpuAfter) = await Measured(Environment.ProcessorCount, TimeSpan.FromSeconds(5), worker =>
        {
            hasher.Verify(password, hash, out _);
            return Task.FromResult(true);
        });
        var limit = (hashes + hashesAfter) / 2;
        var hashAlone = (hashCpu.Total + hashCpuAfter.Total) / 2;
        var hashAloneWarm = (hashCpu.Warm + hashCpuAfter.Warm) / 2;
        Console.WriteLine($"Argon2id verifications after the sign-ins: {hashesAfter:N1}/s");
        Console.WriteLine($"password sign-ins over HTTPS: {signIns:N1}/s; sign-ins / Argon2id limit = {signIns / limit:0.00} (target >= 0.9); "
            + $"Argon2id alone / CPU per sign-in = {hashAlone / signInCpu.Total:0.00} (the CPU-bound limit of the first ratio), "
            + $"{hashAloneWarm / signInCpu.Warm:0.00} without the tiered-compilation thread");
    }

    /// <summary>
    /// Asserts, before anything is measured, that the service refuses what it must (issue 20, "Bad input"): a wrong
    /// password and an unknown account (401), a wrong client secret (invalid_client), a scope the client was not given
    /// (400, OpenIddict's invalid_request ID2051) and a deleted client's right secret (invalid_client).
    /// </summary>
    private static async Task RefusesBadInputAsync(HttpClient http, IServiceProvider services, string form, NewClient machine, string password)
    {
        async Task Expect(HttpResponseMessage response, HttpStatusCode status, string? error, string what)
        {
            var body = await response.Content.ReadAsStringAsync();
            if (response.StatusCode != status || (error is not null && System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("error").GetString() != error))
            {
                throw new InvalidOperationException($"{what}: expected {(int)status} {error}, got {(int)response.StatusCode} {body}");
            }
        }

        using (var response = await http.PostAsync("/v1/session", Json($$"""{"email":"bench2000@example.com","password":"{{password}}x"}""")))
            await Expect(response, HttpStatusCode.Unauthorized, null, "a wrong password");
        using (var response = await http.PostAsync("/v1/session", Json($$"""{"email":"nobody@example.com","password":"{{password}}"}""")))
            await Expect(response, HttpStatusCode.Unauthorized, null, "an unknown account");
        using (var response = await http.PostAsync("/connect/token", Form(form.Replace(machine.ClientSecret!, machine.ClientSecret![..^2] + "xx", StringComparison.Ordinal))))
            await Expect(response, HttpStatusCode.Unauthorized, "invalid_client", "a wrong client secret");
        using (var response = await http.PostAsync("/connect/token", Form(form.Replace("scope=platform.keys", "scope=platform.audit", StringComparison.Ordinal))))
            await Expect(response, HttpStatusCode.BadRequest, "invalid_request", "a scope the client was not given"); // OpenIddict: ID2051

        await using var scope = services.CreateAsyncScope();
        var clients = scope.ServiceProvider.GetRequiredService<ClientService>();
        var request = new RequestInfo("127.0.0.1", "bench", null);
        var deleted = await clients.CreateAsync("org_bench", "usr_bench1", "deleted", "machine", [], ["platform.keys"], request, CancellationToken.None);
        var deletedForm = $"grant_type=client_credentials&client_id={deleted.ClientId}&client_secret={deleted.ClientSecret}&scope=platform.keys";
        using (var response = await http.PostAsync("/connect/token", Form(deletedForm)))
            await Expect(response, HttpStatusCode.OK, null, "a client before its deletion");
        await clients.DeleteAsync("org_bench", deleted.ClientId, "usr_bench1", request, CancellationToken.None);
        using (var response = await http.PostAsync("/connect/token", Form(deletedForm)))
            await Expect(response, HttpStatusCode.Unauthorized, "invalid_client", "a deleted client");
        Console.WriteLine("refused before measuring: a wrong password, an unknown account, a wrong client secret, a scope not given, a deleted client");
    }
    private static async Task<(double Rate, double ClientCpu, double NodeCpu)> PeerGrantsAsync(X509Certificate2 certificate, TimeSpan duration)
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
            using (var first = await http.PostAsync("/token", Form(form)))
            {
                var body = await first.Content.ReadAsStringAsync();
                // A JWT (three parts), as ours: an opaque token would be a cheaper, different product.
                if (!first.IsSuccessStatusCode || System.Text.Json.JsonDocument.Parse(body).RootElement.GetProperty("access_token").GetString()!.Split('.').Length != 3)
                {
                    throw new InvalidOperationException($"the peer's grant: {(int)first.StatusCode} {body}");
                }
            }

            var nodeBefore = CpuTime.Seconds(node.Id);
            var (rate, cpu) = await Measured(32, duration, async _ =>
            {
                using var response = await http.PostAsync("/token", Form(form));
                return response.StatusCode == HttpStatusCode.OK;
            }, "peer grants (this process: the clients only)");
            return (rate, cpu.Process, (CpuTime.Seconds(node.Id) - nodeBefore) / Math.Max(cpu.Operations, 1));
        }
        finally
        {
            node.Kill(entireProcessTree: true);
            Directory.Delete(files, recursive: true);
        }
    }

    /// <summary>CPU seconds per operation: this process (the service and the clients), PostgreSQL, RabbitMQ.</summary>
    private sealed record OperationCpu(double Process, double Postgres, double RabbitMq, long Operations, double Jit)
    {
        public double Total => Process + Postgres + RabbitMq;

        /// <summary>Without the tiered-compilation thread, which in a process minutes old is still recompiling.</summary>
        public double Warm => Total - Jit;
    }

    /// <summary>
    /// Runs the operation on <paramref name="workers"/> loops for <paramref name="duration"/>; returns operations per second
    /// and the CPU per operation, which swings far less than the rate with the neighbours' load on a shared machine.
    /// With a label it prints where that CPU went: this process by kind of thread, PostgreSQL, RabbitMQ, anything else.
    /// </summary>
    private static async Task<(double Rate, OperationCpu Cpu)> Measured(int workers, TimeSpan duration, Func<int, Task<bool>> operation, string? label = null)
    {
        // Steady state, not start-up: the first calls of a path pay for JIT (tier 0, then PGO's instrumented tier, then
        // tier 1), so warm up in rounds of 5 s until the tiered-compilation thread is quiet (as bench/GatewayEdge does).
        if (label is not null) await WarmUpAsync(workers, operation, label);
        long done = 0, failed = 0;
        var jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount();
        var jitTime = System.Runtime.JitInfo.GetCompilationTime();
        var transactions = await TransactionsAsync();
        var servers = CpuTime.Descendants();
        var threads = CpuTime.ByThread(Environment.ProcessId);
        using var self = Process.GetCurrentProcess();
        var selfBefore = self.TotalProcessorTime;
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
        var elapsed = watch.Elapsed;
        jitMethods = System.Runtime.JitInfo.GetCompiledMethodCount() - jitMethods;
        jitTime = System.Runtime.JitInfo.GetCompilationTime() - jitTime;
        // PostgreSQL counts a backend's transactions when it reports (at most every second, and when idle).
        if (label is not null) await Task.Delay(TimeSpan.FromSeconds(1.5));
        transactions = await TransactionsAsync() - transactions;
        var components = CpuTime.UsedByComponent(servers, CpuTime.Descendants(), new HashSet<int>());
        var byThread = CpuTime.ByThread(Environment.ProcessId).ToDictionary(t => t.Key, t => t.Value - threads.GetValueOrDefault(t.Key));
        var per = Math.Max(done, 1);
        self.Refresh();
        // The process's total: it keeps the CPU of threads that ended meanwhile (the thread pool retires idle ones),
        // which the per-thread breakdown (live threads only) loses.
        var cpu = new OperationCpu((self.TotalProcessorTime - selfBefore).TotalSeconds / per, components.GetValueOrDefault("postgres") / per, components.GetValueOrDefault("rabbitmq") / per, done, byThread.GetValueOrDefault("JIT") / per);
        if (label is not null)
        {
            static string Ms(double seconds) => $"{seconds * 1000:0.00} ms";
            var others = components.Where(c => c.Key is not ("postgres" or "rabbitmq") && c.Value / per > 1e-5).OrderByDescending(c => c.Value);
            Console.WriteLine($"  {label}, CPU per operation: {Ms(cpu.Total)} = this process {Ms(cpu.Process)} ("
                + string.Join(", ", byThread.Where(t => t.Value > 0).OrderByDescending(t => t.Value).Select(t => $"{t.Key} {Ms(t.Value / per)}"))
                + $") + PostgreSQL {Ms(cpu.Postgres)} + RabbitMQ {Ms(cpu.RabbitMq)}"
                + (others.Any() ? $"; also {string.Join(", ", others.Select(c => $"{c.Key} {Ms(c.Value / per)}"))}" : "")
                + $"; {(double)transactions / per:0.0} PostgreSQL transactions (with identity's background polls)"
                + $"; JIT while measuring: {jitMethods:N0} methods compiled ({(double)jitMethods / per:0.00} per operation, {jitTime.TotalMilliseconds / per:0.00} ms)");
        }

        if (failed > 0) Console.WriteLine($"  ({failed:N0} operations failed)");
        return (done / elapsed.TotalSeconds, cpu);
    }

    /// <summary>
    /// Runs the operation in rounds of 5 s until a round's tiered compilation (the runtime's background JIT thread)
    /// costs under 50 ms of CPU, or for at most 2 minutes; prints how long that took.
    /// </summary>
    private static async Task WarmUpAsync(int workers, Func<int, Task<bool>> operation, string label)
    {
        var started = Stopwatch.StartNew();
        double compiling;
        do
        {
            var before = CpuTime.TieredCompilationSeconds(Environment.ProcessId);
            await Measured(workers, TimeSpan.FromSeconds(5), operation);
            compiling = Math.Max(0, CpuTime.TieredCompilationSeconds(Environment.ProcessId) - before);
        }
        while (compiling > 0.05 && started.Elapsed < TimeSpan.FromMinutes(2));

        Console.WriteLine($"  warm-up of the {label}: {started.Elapsed.TotalSeconds:0} s"
            + (compiling > 0.05 ? $" (still compiling: {compiling:0.00} s CPU in the last 5 s)" : $" (tiered compilation {compiling * 1000:0} ms CPU in the last 5 s)"));
    }

    /// <summary>Transactions committed or rolled back in identity's database so far (every statement outside one is one).</summary>
    private static async Task<long> TransactionsAsync()
    {
        if (database is null) return 0;
        await using var command = database.CreateCommand("SELECT pg_stat_clear_snapshot(), xact_commit + xact_rollback FROM pg_stat_database WHERE datname = current_database()");
        await using var reader = await command.ExecuteReaderAsync();
        await reader.ReadAsync();
        return reader.GetInt64(1);
    }

    private static Npgsql.NpgsqlDataSource? database;

    private static StringContent Form(string body) => new(body, System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");

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
