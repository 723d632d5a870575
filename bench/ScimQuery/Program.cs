using System.Buffers.Text;
using System.Diagnostics;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Testing;

// SCIM query latency (issue 18): GET /scim/v2/Users?filter=userName eq "…" with 100,000 users in the organization,
// p50/p99 over HTTPS, the way an IdP looks a user up before creating it; beside it a filter no index serves
// (displayName co "…") for scale. The service runs on Kestrel against the harness's PostgreSQL and RabbitMQ.
// Usage: dotnet run -c Release --project bench/ScimQuery [-- users lookups workers]
namespace Platform.Bench.ScimQuery;

internal static class Bench
{
    public static async Task<int> Main(string[] args)
    {
        var users = args.Length > 0 ? int.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 100_000;
        var lookups = args.Length > 1 ? int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture) : 4_000;
        var workers = args.Length > 2 ? int.Parse(args[2], System.Globalization.CultureInfo.InvariantCulture) : 4;

        await using var servers = await TestingApplication.CreateAsync(BenchArguments.Quiet);
        servers.KeepOnly("identitydb", "messaging");
        await servers.StartAsync();

        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_PLATFORM_IDENTITY", ServiceFolder());
        var port = FreePort();
        var issuer = $"https://localhost:{port}/";
        using var certificate = SelfSigned();
        await using var service = new WebApplicationFactory<global::Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:identitydb", servers.GetConnectionString("identitydb"));
            web.UseSetting("ConnectionStrings:messaging", servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Identity:Issuer"] = issuer,
                ["Identity:DataKey"] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
                ["Identity:Mail:Folder"] = Path.Combine(Path.GetTempPath(), "identity-bench-mail"),
                ["Logging:LogLevel:Default"] = "Warning",
            }));
            web.ConfigureLogging(logging => logging.SetMinimumLevel(LogLevel.Warning));
        });
        service.UseKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, port, listen => listen.UseHttps(certificate)));
        service.StartServer();

        // The organization, its SCIM token (stored as the service stores it: SHA-256 only) and its users, inserted directly.
        var token = "scim_" + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        await using var db = Npgsql.NpgsqlDataSource.Create(servers.GetConnectionString("identitydb"));
        var seed = Stopwatch.StartNew();
        // One statement per command: positional parameters take no multi-statement batches.
        string[] statements =
        [
            "INSERT INTO organizations (id, name, created_at) VALUES ('org_scimbench', 'scim bench', now())",
            "INSERT INTO scim_tokens (org_id, token_hash, hint, default_role, created_by, created_at) VALUES ('org_scimbench', $1, $2, 'Viewer', 'usr_bench', now())",
            """
            INSERT INTO users (id, email, email_normalized, password_hash, created_at)
              SELECT 'usr_scimbench' || i, 'person' || i || '@example.com', 'person' || i || '@example.com', '!sso', now() FROM generate_series(1, $1) AS i
            """,
            """
            INSERT INTO scim_users (org_id, user_id, user_name, user_name_normalized, external_id, active, resource, created_account, version, created_at, updated_at)
              SELECT 'org_scimbench', 'usr_scimbench' || i, 'Person' || i || '@example.com', 'person' || i || '@example.com', 'ext' || i, true,
                     jsonb_build_object('userName', 'Person' || i || '@example.com', 'displayName', 'Person ' || i, 'active', true,
                                        'name', jsonb_build_object('givenName', 'Person', 'familyName', i::text),
                                        'emails', jsonb_build_array(jsonb_build_object('value', 'person' || i || '@example.com', 'type', 'work', 'primary', true))),
                     true, 1, now() + i * interval '1 millisecond', now()
                FROM generate_series(1, $1) AS i
            """,
            "INSERT INTO memberships (org_id, user_id, role, created_at) SELECT 'org_scimbench', 'usr_scimbench' || i, 'Viewer', now() FROM generate_series(1, $1) AS i",
            "ANALYZE users", "ANALYZE scim_users", "ANALYZE memberships",
        ];
        foreach (var sql in statements)
        {
            await using var command = db.CreateCommand(sql);
            if (sql.Contains("$2", StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
                command.Parameters.AddWithValue(token[..9]);
            }
            else if (sql.Contains("$1", StringComparison.Ordinal))
            {
                command.Parameters.AddWithValue(users);
            }

            await command.ExecuteNonQueryAsync();
        }

        Console.WriteLine($"{users:N0} SCIM users in one organization, inserted in {seed.Elapsed.TotalSeconds:0.0} s");
        using var http = Client(certificate, issuer, token);

        // Warm-up: connections, TLS sessions, JIT, the plan cache.
        await Measure(http, 200, workers, i => Lookup(1 + (i * 7919 % users)), users);
        var exact = await Measure(http, lookups, workers, i => Lookup(1 + (int)((uint)(i * 2654435761) % (uint)users)), users);
        Print($"userName eq (random user, upper-case in the filter), {workers} concurrent", exact);
        var scan = await Measure(http, Math.Max(20, lookups / 100), workers, i => $"displayName co \"son {1 + (i * 31 % users)}\"", users);
        Print($"displayName co (no index: a scan of the organization's users), {workers} concurrent", scan);
        return 0;
    }

    private static string Lookup(int n) => $"userName eq \"PERSON{n}@EXAMPLE.COM\"";

    private static async Task<List<double>> Measure(HttpClient http, int count, int workers, Func<int, string> filter, int users)
    {
        var latencies = new List<double>(count);
        var next = -1;
        var failures = 0;
        await Task.WhenAll(Enumerable.Range(0, workers).Select(_ => Task.Run(async () =>
        {
            while (true)
            {
                var i = Interlocked.Increment(ref next);
                if (i >= count) return;
                var watch = Stopwatch.StartNew();
                using var response = await http.GetAsync("/scim/v2/Users?filter=" + Uri.EscapeDataString(filter(i)));
                var body = await response.Content.ReadAsStringAsync();
                watch.Stop();
                if (response.StatusCode != HttpStatusCode.OK || !body.Contains("\"totalResults\":", StringComparison.Ordinal)) Interlocked.Increment(ref failures);
                lock (latencies) latencies.Add(watch.Elapsed.TotalMilliseconds);
            }
        })));
        if (failures > 0) Console.WriteLine($"  ({failures} requests failed)");
        _ = users;
        return latencies;
    }

    private static void Print(string label, List<double> latencies)
    {
        latencies.Sort();
        double At(double q) => latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(q * latencies.Count) - 1)];
        Console.WriteLine($"{label}: {latencies.Count:N0} requests, p50 {At(0.50):0.00} ms, p99 {At(0.99):0.00} ms, max {latencies[^1]:0.00} ms");
    }

    private static HttpClient Client(X509Certificate2 certificate, string issuer, string token)
    {
        var client = new HttpClient(new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 16,
            UseCookies = false,
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString() },
        })
        { BaseAddress = new Uri(issuer) };
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

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
