using System.Net;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>
/// Two gateway processes sharing the collection's Redis, in front of one <see cref="EchoUpstream"/>, with low limits
/// so that tests can reach them: 10 anonymous requests per minute per client, bodies of 1 KiB on <c>/upload</c> and
/// 64 KiB elsewhere, 2 s to send the headers. Loopback is a trusted proxy, so each test picks its own client address
/// with <c>X-Forwarded-For</c> and has buckets of its own.
/// </summary>
public sealed class EdgeGateways(Servers servers) : IAsyncLifetime
{
    public const int AnonymousLimit = 10;

    public const int AuthenticationFailureLimit = 5;

    private readonly List<GatewayProcess> _gateways = [];

    public EchoUpstream Upstream { get; private set; } = null!;

    /// <summary>The keys service both replicas verify keys at.</summary>
    public KeysStub Keys { get; private set; } = null!;

    /// <summary>The channel the keys service announces changed keys on (the gateway's default).</summary>
    public const string KeyInvalidationChannel = "platform:keys:invalidated";

    internal GatewayProcess First => _gateways[0];

    internal GatewayProcess Second => _gateways[1];

    internal Servers Servers => servers;

    public string CertificatePath { get; } = Path.Combine(servers.NewFolder(), "edge.pfx");

    public async Task InitializeAsync()
    {
        Upstream = await EchoUpstream.StartAsync();
        Keys = await KeysStub.StartAsync();
        // Shared by both replicas (their buckets are the same keys), apart from other test classes'.
        var prefix = $"edge-tests:{Guid.NewGuid():n}:";
        for (var replica = 0; replica < 2; replica++)
        {
            var settings = new Dictionary<string, string>(servers.ConnectionStrings)
            {
                ["Gateway__DevelopmentCertificatePath"] = CertificatePath,
                ["Gateway__TrustedProxies__0"] = "127.0.0.0/8",
                ["Gateway__RateLimits__Anonymous__Requests"] = AnonymousLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Gateway__RateLimits__Anonymous__WindowSeconds"] = "60",
                // Told there are 4 replicas, so that a local decision (10 / 4 = 2 each) is never mistaken for a shared one.
                ["Gateway__RateLimits__Replicas"] = "4",
                ["Gateway__RateLimits__RedisTimeout"] = "00:00:02",
                ["Gateway__RateLimits__AuthenticationFailures__Requests"] = AuthenticationFailureLimit.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Gateway__RateLimits__AuthenticationFailures__WindowSeconds"] = "60",
                ["Gateway__RateLimits__KeyPrefix"] = prefix,
                ["Gateway__Keys__Url"] = Keys.Address.ToString(),
                ["Gateway__Keys__ServiceToken"] = new string('k', 40),
                ["Gateway__Limits__MaxRequestBodySize"] = "65536",
                ["Gateway__Limits__RequestHeadersTimeout"] = "00:00:02",
                ["ReverseProxy__Clusters__echo__Destinations__primary__Address"] = Upstream.Address.ToString(),
                ["ReverseProxy__Routes__open__ClusterId"] = "echo",
                ["ReverseProxy__Routes__open__Match__Path"] = "/open/{**rest}",
                ["ReverseProxy__Routes__upload__ClusterId"] = "echo",
                ["ReverseProxy__Routes__upload__Match__Path"] = "/upload/{**rest}",
                ["ReverseProxy__Routes__upload__MaxRequestBodySize"] = "1024",
            };
            var gateway = GatewayProcess.Start(servers.NewFolder(), settings);
            _gateways.Add(gateway);
            // The first makes the development certificate; the second reuses it.
            await gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
            // Readiness does not wait for Redis (by design); the revocation tests need both replicas subscribed.
            await gateway.WaitForOutputAsync("Listening for key changes", TimeSpan.FromSeconds(30));
        }
    }

    /// <summary>A client of one replica that trusts the development certificate.</summary>
    internal HttpClient Client(GatewayProcess gateway)
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, password: null);
        var pinned = TestCertificates.Sha256(certificate);
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, presented, _, _) => presented is not null && TestCertificates.Sha256(presented) == pinned },
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
        };
        return new HttpClient(handler) { BaseAddress = new Uri($"https://localhost:{gateway.HttpsPort}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    /// <summary>A request that says, through the trusted loopback proxy, that it comes from <paramref name="client"/>.</summary>
    public static HttpRequestMessage From(IPAddress client, HttpMethod method, string path, HttpContent? content = null)
    {
        var request = new HttpRequestMessage(method, path) { Content = content };
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", client.ToString());
        return request;
    }

    public async Task DisposeAsync()
    {
        foreach (var gateway in _gateways) await gateway.DisposeAsync();
        if (Upstream is not null) await Upstream.DisposeAsync();
        if (Keys is not null) await Keys.DisposeAsync();
    }
}
