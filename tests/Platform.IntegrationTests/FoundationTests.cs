using System.Net;
using System.Net.Http.Json;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Text;
using System.Text.Json;
using Npgsql;
using RabbitMQ.Client;
using StackExchange.Redis;

namespace Platform.IntegrationTests;

[Collection(Collections.Platform)]
public sealed class FoundationTests(PlatformFixture fixture)
{
    private readonly Platform.Hosting.Testing.TestingApplication app = fixture.App;

    [Fact]
    public void Every_resource_of_the_model_is_running()
    {
        var states = app.GetResourceStates();
        foreach (var name in new[] { "postgres", "identitydb", "keysdb", "storageusdb", "storageeudb", "retentiondb", "auditdb", "residencydb", "redis", "messaging", "audit", "keys", "storage-us", "storage-eu", "residency", "gateway" })
        {
            Assert.True(states[name] == "Running", $"{name} is {states[name] ?? "without a state"}");
        }
    }

    [Fact]
    public async Task Identity_as_the_app_model_runs_it_is_healthy_and_answers_as_the_gateways_upstream()
    {
        using var client = app.CreateHttpClient("identity", "http");
        Assert.Equal(HttpStatusCode.OK, (await client.GetAsync("/health")).StatusCode);

        // As the gateway forwards it: TLS ended at the gateway (loopback, a trusted proxy).
        using var request = new HttpRequestMessage(HttpMethod.Get, "/.well-known/openid-configuration");
        request.Headers.Add("X-Forwarded-Proto", "https");
        request.Headers.Add("X-Forwarded-Host", fixture.Gateway.Authority);
        using var response = await client.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var discovery = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal(fixture.Gateway.ToString(), discovery.GetProperty("issuer").GetString());
        Assert.Equal(new Uri(fixture.Gateway, ".well-known/jwks").ToString(), discovery.GetProperty("jwks_uri").GetString());

        // Without the proxy's word the plain-HTTP request is refused by OpenIddict (transport security).
        Assert.NotEqual(HttpStatusCode.OK, (await client.GetAsync("/.well-known/openid-configuration")).StatusCode);
    }

    [Theory]
    [InlineData("identitydb")]
    [InlineData("auditdb")]
    [InlineData("residencydb")]
    public async Task Each_service_database_exists_and_accepts_its_connection_string(string database)
    {
        var connectionString = app.GetConnectionString(database);
        Assert.Matches("^Host=localhost;Port=[0-9]+;Username=postgres;Password=[A-Za-z0-9]{22,};GSS Encryption Mode=Disable;Database=" + database + "$", connectionString);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand("SELECT current_database()", connection);
        Assert.Equal(database, await command.ExecuteScalarAsync());
    }

    [Fact]
    public async Task Postgres_refuses_a_wrong_password()
    {
        var builder = new NpgsqlConnectionStringBuilder(app.GetConnectionString("postgres")) { Password = "wrong-password-123", Pooling = false };
        await using var connection = new NpgsqlConnection(builder.ConnectionString);
        var error = await Assert.ThrowsAsync<PostgresException>(() => connection.OpenAsync());
        Assert.Equal(PostgresErrorCodes.InvalidPassword, error.SqlState);
    }

    [Fact]
    public async Task Redis_answers_with_its_password_and_refuses_without_it()
    {
        var connectionString = app.GetConnectionString("redis");
        Assert.Matches("^localhost:[0-9]+,password=[A-Za-z0-9]{22,}$", connectionString);

        await using var redis = await ConnectionMultiplexer.ConnectAsync(connectionString);
        var key = $"test:{Guid.NewGuid():n}";
        await redis.GetDatabase().StringSetAsync(key, "v", TimeSpan.FromMinutes(1));
        Assert.Equal("v", (string?)await redis.GetDatabase().StringGetAsync(key));

        var anonymous = ConfigurationOptions.Parse(connectionString);
        anonymous.Password = null;
        anonymous.AbortOnConnectFail = true;
        anonymous.ConnectTimeout = 2000;
        await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            await using var refused = await ConnectionMultiplexer.ConnectAsync(anonymous);
            await refused.GetDatabase().PingAsync();
        });
    }

    [Fact]
    public async Task RabbitMQ_accepts_its_credentials_and_confirms_a_durable_publish()
    {
        var connectionString = app.GetConnectionString("messaging");
        Assert.Matches("^amqp://guest:[A-Za-z0-9]{22,}@localhost:[0-9]+$", connectionString);

        var factory = new ConnectionFactory { Uri = new Uri(connectionString) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync(new CreateChannelOptions(publisherConfirmationsEnabled: true, publisherConfirmationTrackingEnabled: true));
        var queue = $"test-{Guid.NewGuid():n}";
        await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: true, arguments: null);
        await channel.BasicPublishAsync("", queue, Encoding.UTF8.GetBytes("hello"));
        var message = await channel.BasicGetAsync(queue, autoAck: true);
        Assert.Equal("hello", Encoding.UTF8.GetString(message!.Body.Span));

        var wrong = new ConnectionFactory { Uri = new Uri(connectionString), Password = "wrong-password-123" };
        await Assert.ThrowsAnyAsync<Exception>(() => wrong.CreateConnectionAsync());
    }

    [Fact]
    public async Task Gateway_health_is_served_on_the_internal_port_only()
    {
        using var internalClient = new HttpClient { BaseAddress = app.GetEndpoint("gateway", "internal") };
        Assert.Equal(HttpStatusCode.OK, (await internalClient.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await internalClient.GetAsync("/alive")).StatusCode);

        using var publicClient = app.CreateHttpClient("gateway");
        Assert.Equal(HttpStatusCode.NotFound, (await publicClient.GetAsync("/health")).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await publicClient.GetAsync("/alive")).StatusCode);

        // Naming the internal port in the Host header does not make the public listener answer probes.
        using var spoofed = new HttpRequestMessage(HttpMethod.Get, "/health");
        spoofed.Headers.Host = $"localhost:{app.GetEndpoint("gateway", "internal").Port}";
        Assert.Equal(HttpStatusCode.NotFound, (await publicClient.SendAsync(spoofed)).StatusCode);
    }

    [Fact]
    public async Task Gateway_answers_over_https_with_hsts()
    {
        using var client = app.CreateHttpClient("gateway");
        using var response = await client.GetAsync("/.well-known/security.txt");

        Assert.Equal("https", client.BaseAddress!.Scheme);
        Assert.Equal("max-age=31536000; includeSubDomains", string.Join(",", response.Headers.GetValues("Strict-Transport-Security")));
    }

    [Theory]
    [InlineData(SslProtocols.Tls12)]
    [InlineData(SslProtocols.Tls13)]
    public async Task Gateway_completes_a_handshake_with_TLS_1_2_and_1_3(SslProtocols protocol)
    {
        var endpoint = app.GetEndpoint("gateway");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port);
        await using var tls = new SslStream(tcp.GetStream(), false, (_, certificate, _, _) => certificate?.GetCertHashString() == app.DevelopmentCertificate("gateway")!.GetCertHashString());
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions { TargetHost = "localhost", EnabledSslProtocols = protocol });

        Assert.Equal(protocol, tls.SslProtocol);
    }

    [Fact]
    public async Task Gateway_refuses_TLS_1_1()
    {
        // openssl with security level 0 offers TLS 1.1 (the machine's default would not even try): the refusal
        // must come from the gateway.
        var endpoint = app.GetEndpoint("gateway");
        var (code, output) = await Tools.RunAsync("openssl", "s_client", "-connect", $"127.0.0.1:{endpoint.Port}", "-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0", "-servername", "localhost");

        Assert.NotEqual(0, code);
        Assert.Contains("alert protocol version", output);
    }

    [Fact]
    public async Task Gateway_has_no_plaintext_listener_on_its_public_port()
    {
        var endpoint = app.GetEndpoint("gateway");
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(endpoint.Host, endpoint.Port);
        var stream = tcp.GetStream();
        await stream.WriteAsync(Encoding.ASCII.GetBytes("GET /.well-known/security.txt HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"));
        var buffer = new byte[1024];
        var received = new StringBuilder();
        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            int read;
            while ((read = await stream.ReadAsync(buffer, timeout.Token)) > 0) received.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }
        catch (IOException)
        {
            // The server reset the connection: also a refusal.
        }

        Assert.DoesNotContain("HTTP/1.1", received.ToString());
        Assert.DoesNotContain("Contact:", received.ToString());
    }
}
