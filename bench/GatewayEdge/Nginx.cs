using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Platform.Hosting.Testing;

namespace Platform.Bench.GatewayEdge;

/// <summary>
/// The peer (issue 20 item 1): Debian's nginx, installed when missing (as the tests install testssl.sh), proxying to
/// the same upstream as bare YARP and the gateway. Two instances: <see cref="Bare"/>, a TLS proxy and nothing else;
/// <see cref="Edge"/>, TLS 1.3 only, an API key checked against a static map, two <c>limit_req</c> zones (per key, per
/// address), an allow list, a request id sent upstream and back, HSTS and a buffered access log — nginx's own edge
/// with local-only features. Each runs as this bench's user in a temporary prefix on a loopback port, in the
/// foreground, and is stopped (SIGQUIT, then killed) when disposed.
/// </summary>
internal sealed class Nginx : IAsyncDisposable
{
    public enum Kind { Bare, Edge }

    private readonly Process master;
    private readonly string prefix;

    private Nginx(Process master, string prefix, Uri address)
    {
        this.master = master;
        this.prefix = prefix;
        Address = address;
    }

    public Uri Address { get; }

    public int Id => master.Id;

    /// <summary>The master and its workers: all count as the proxy.</summary>
    public IEnumerable<int> Processes => [master.Id, .. ProcessTree.Children(master.Id)];

    public static Task<string> EnsureInstalledAsync() => DebianPackages.EnsureAsync("nginx", ["nginx"]);

    public static async Task<Nginx> StartAsync(string program, Kind kind, Uri upstream, string apiKey)
    {
        var prefix = Directory.CreateTempSubdirectory($"gateway-edge-nginx-{kind.ToString().ToLowerInvariant()}-").FullName;
        WriteCertificate(prefix);
        var port = FreePort();
        var config = Path.Combine(prefix, "nginx.conf");
        await File.WriteAllTextAsync(config, Configuration(kind, prefix, port, upstream, apiKey));

        var start = new ProcessStartInfo(program, ["-p", prefix + "/", "-c", config, "-e", Path.Combine(prefix, "error.log"), "-g", "daemon off;"])
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        var master = Process.Start(start) ?? throw new InvalidOperationException("nginx did not start.");
        _ = master.StandardOutput.ReadToEndAsync();
        var errors = master.StandardError.ReadToEndAsync();
        var nginx = new Nginx(master, prefix, new Uri($"https://127.0.0.1:{port}"));
        // It runs in the bench's process group: a signal to the group (Ctrl+C, a `timeout` around the bench) stops it at
        // once while the bench may still be measuring, and wrk then only says "connection refused". Say so when it happens.
        master.EnableRaisingEvents = true;
        master.Exited += (_, _) =>
        {
            if (nginx.stopping) return;
            var log = File.Exists(Path.Combine(prefix, "error.log")) ? File.ReadLines(Path.Combine(prefix, "error.log")).TakeLast(5) : [];
            Console.Error.WriteLine($"nginx ({kind}, port {port}) exited on its own with {master.ExitCode}{(master.ExitCode > 128 ? $" (signal {master.ExitCode - 128})" : "")}: {string.Join(Environment.NewLine, log)}");
        };
        var waited = Stopwatch.StartNew();
        while (!Listening(port))
        {
            if (master.HasExited) throw new InvalidOperationException($"nginx ({kind}) exited with {master.ExitCode}: {await errors}{await ErrorLogAsync(prefix)}");
            if (waited.Elapsed > TimeSpan.FromSeconds(10)) throw new InvalidOperationException($"nginx ({kind}) did not listen within 10 s: {await ErrorLogAsync(prefix)}");
            await Task.Delay(50);
        }

        return nginx;
    }

    private static string Configuration(Kind kind, string prefix, int port, Uri upstream, string apiKey)
    {
        // As root, nginx would hand its workers to 'nobody': they run as this bench's user instead, like the gateway.
        var user = Environment.UserName == "root" ? "user root root;" : "";
        var edge = kind == Kind.Edge;
        var http = edge
            ? $$"""
                map $http_x_api_key $api_key_known { default 0; "{{apiKey}}" 1; }
                limit_req_zone $http_x_api_key zone=per_key:10m rate=1000000r/s;
                limit_req_zone $binary_remote_addr zone=per_address:10m rate=1000000r/s;
                log_format edge '$time_iso8601 $remote_addr $request_id "$request" $status $body_bytes_sent $request_time "$http_user_agent"';
                access_log {{prefix}}/access.log edge buffer=64k flush=1s;
            """
            : "    access_log off;";
        var location = edge
            ? """
                    allow 127.0.0.1;
                    allow ::1;
                    deny all;
                    if ($api_key_known = 0) { return 401; }
                    limit_req zone=per_key burst=1000 nodelay;
                    limit_req zone=per_address burst=1000 nodelay;
                    proxy_set_header X-Api-Key "";
                    proxy_set_header X-Request-Id $request_id;
                    add_header X-Request-Id $request_id always;
                    add_header Strict-Transport-Security "max-age=31536000" always;
            """
            : "";
        return $$"""
            {{user}}
            worker_processes auto;
            pid {{prefix}}/nginx.pid;
            events { worker_connections 4096; }
            http {
                client_body_temp_path {{prefix}}/client_body;
                proxy_temp_path {{prefix}}/proxy;
                fastcgi_temp_path {{prefix}}/fastcgi;
                uwsgi_temp_path {{prefix}}/uwsgi;
                scgi_temp_path {{prefix}}/scgi;
                server_tokens off;
            {{http}}
                upstream product { server {{upstream.Host}}:{{upstream.Port}}; keepalive 64; }
                server {
                    listen 127.0.0.1:{{port}} ssl http2;
                    ssl_certificate {{prefix}}/certificate.pem;
                    ssl_certificate_key {{prefix}}/key.pem;
                    ssl_protocols {{(edge ? "TLSv1.3" : "TLSv1.2 TLSv1.3")}};
                    ssl_session_cache shared:tls:10m;
                    location /v1/datasets/ {
            {{location}}
                        proxy_http_version 1.1;
                        proxy_set_header Connection "";
                        proxy_pass http://product;
                    }
                    location / { return 404; }
                }
            }
            """;
    }

    /// <summary>A self-signed P-256 certificate, like the gateway's development one and bare YARP's.</summary>
    private static void WriteCertificate(string prefix)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        var now = DateTimeOffset.Now;
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now.AddDays(1));
        File.WriteAllText(Path.Combine(prefix, "certificate.pem"), certificate.ExportCertificatePem());
        File.WriteAllText(Path.Combine(prefix, "key.pem"), key.ExportPkcs8PrivateKeyPem());
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static bool Listening(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static async Task<string> ErrorLogAsync(string prefix)
    {
        var path = Path.Combine(prefix, "error.log");
        return File.Exists(path) ? await File.ReadAllTextAsync(path) : "";
    }

    private volatile bool stopping;

    public async ValueTask DisposeAsync()
    {
        stopping = true;
        if (!master.HasExited)
        {
            // SIGQUIT: nginx's graceful shutdown (its workers finish and exit with it).
            using (var quit = Process.Start(new ProcessStartInfo("kill", ["-QUIT", master.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false }))
            {
                await quit!.WaitForExitAsync();
            }

            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await master.WaitForExitAsync(timeout.Token);
            }
            catch (OperationCanceledException)
            {
                master.Kill(entireProcessTree: true);
            }
        }

        master.Dispose();
        try
        {
            Directory.Delete(prefix, recursive: true);
        }
        catch (IOException)
        {
            // A worker still closing its log: the temp folder is left for the system to clear.
        }
    }
}
