using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Platform.Gateway.Tests.Infrastructure;

namespace Platform.Gateway.Tests;

/// <summary>
/// One gateway process with a development certificate, shared by the tests in this class: what a client sees on
/// the public and internal listeners.
/// </summary>
[Collection(GatewayCollection.Name)]
public sealed class RunningGatewayTests(DevelopmentGateway fixture) : IClassFixture<DevelopmentGateway>
{
    private GatewayProcess Gateway => fixture.Gateway;

    private string CertificatePath => fixture.CertificatePath;

    [Fact]
    public async Task Public_listener_serves_the_development_certificate_it_created()
    {
        using var created = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, password: null);

        await using var connection = await TlsConnection.OpenAsync(Gateway.HttpsPort, [TestCertificates.Sha256(created)]);

        Assert.Equal(created.Thumbprint, connection.ServerCertificate.Thumbprint);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(CertificatePath));
    }

    [Fact]
    public async Task Security_txt_is_served_over_https_with_the_configured_fields()
    {
        using var client = PinnedClient();

        using var response = await client.GetAsync($"https://localhost:{Gateway.HttpsPort}/.well-known/security.txt");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain; charset=utf-8", response.Content.Headers.ContentType?.ToString());
        Assert.Equal(
            "Contact: mailto:security-tests@example.org\n" +
            "Expires: 2031-01-02T03:04:05Z\n" +
            "Encryption: https://example.org/pgp-key.txt\n" +
            "Policy: https://example.org/security-policy\n",
            await response.Content.ReadAsStringAsync());
        Assert.Equal("max-age=31536000; includeSubDomains", response.Headers.GetValues("Strict-Transport-Security").Single());
        Assert.False(response.Headers.Contains("Server"), "the Server header tells scanners what answers");
    }

    [Fact]
    public async Task Health_is_answered_on_the_internal_listener_only()
    {
        using var client = PinnedClient();

        using var internalHealth = await client.GetAsync($"http://127.0.0.1:{Gateway.InternalPort}/health");
        using var publicHealth = await client.GetAsync($"https://localhost:{Gateway.HttpsPort}/health");
        using var publicAlive = await client.GetAsync($"https://localhost:{Gateway.HttpsPort}/alive");
        using var internalSecurityTxt = await client.GetAsync($"http://127.0.0.1:{Gateway.InternalPort}/.well-known/security.txt");

        Assert.Equal(HttpStatusCode.OK, internalHealth.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, publicHealth.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, publicAlive.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, internalSecurityTxt.StatusCode);
    }

    [Fact]
    public async Task Client_offering_only_CBC_suites_is_refused_while_GCM_is_accepted()
    {
        using var created = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, password: null);
        string[] pinned = [TestCertificates.Sha256(created)];

        await using (var gcm = await TlsConnection.OpenAsync(Gateway.HttpsPort, pinned, options => Offer(options, TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)))
        {
            Assert.Equal(created.Thumbprint, gcm.ServerCertificate.Thumbprint);
        }

        TlsCipherSuite[] cbc =
        [
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
            TlsCipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA384,
        ];
        // The same client does get through to a server without the policy, so the refusal below is the gateway's.
        Assert.True(await PermissiveServerAcceptsAsync(created, pinned, cbc), "this machine's TLS client cannot offer CBC suites at all");

        var refused = await Record.ExceptionAsync(() => TlsConnection.OpenAsync(Gateway.HttpsPort, pinned, options => Offer(options, cbc)));

        Assert.True(refused is AuthenticationException or IOException, $"expected a failed handshake, got {refused?.GetType().Name ?? "a connection"}");
    }

    private static async Task<bool> PermissiveServerAcceptsAsync(X509Certificate2 certificate, string[] pinned, TlsCipherSuite[] suites)
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var serving = Task.Run(async () =>
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            await using var server = new SslStream(accepted.GetStream());
            await server.AuthenticateAsServerAsync(new SslServerAuthenticationOptions
            {
                ServerCertificate = certificate,
                EnabledSslProtocols = SslProtocols.Tls12,
            });
        });

        try
        {
            await using var connection = await TlsConnection.OpenAsync(((IPEndPoint)listener.LocalEndpoint).Port, pinned, options => Offer(options, suites));
            await serving;
            return true;
        }
        catch (Exception exception) when (exception is AuthenticationException or IOException)
        {
            return false;
        }
    }

    private static void Offer(SslClientAuthenticationOptions options, params TlsCipherSuite[] suites)
    {
        options.EnabledSslProtocols = SslProtocols.Tls12;
        options.CipherSuitesPolicy = new CipherSuitesPolicy(suites);
    }

    /// <summary>Trusts exactly the gateway's development certificate, as a developer's machine would after trusting it.</summary>
    private HttpClient PinnedClient()
    {
        using var certificate = X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, password: null);
        var thumbprint = certificate.Thumbprint;
        var handler = new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) => certificate?.GetCertHashString() == thumbprint },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(10) };
    }
}
