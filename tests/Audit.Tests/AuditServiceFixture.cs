using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Testing;
using RabbitMQ.Client;

namespace Platform.Audit.Tests;

/// <summary>
/// The audit service in-process (WebApplicationFactory) against real PostgreSQL and RabbitMQ started by the
/// harness: events go in through the bus, entries come out through the API.
/// </summary>
public sealed class AuditServiceFixture : IAsyncLifetime
{
    public const string OperatorToken = "operator-token-0123456789-0123456789-abcdef";
    public const string TenantToken = "tenant-a-token-0123456789-0123456789-abcdef";
    public const string CheckpointKey = "checkpoint-key-0123456789-0123456789-abcdef";

    /// <summary>A signing key retired before this one: its verifier key is still published (rotation).</summary>
    public const string PreviousCheckpointKey = "previous-checkpoint-key-0123456789-0123456789";

    public ServerLease Servers { get; private set; } = null!;

    public WebApplicationFactory<Program> Service { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Service = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            // Settings, not app configuration: the host sees these before Program adds the clients, which Aspire
            // configures from what it reads then; configuration added here would arrive only when the app is built.
            web.UseSetting("ConnectionStrings:auditdb", Servers.GetConnectionString("auditdb"));
            web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Audit:Readers:0:Name"] = "operator",
                ["Audit:Readers:0:Token"] = OperatorToken,
                ["Audit:Readers:0:Organizations:0"] = "*",
                ["Audit:Readers:1:Name"] = "tenant-a",
                ["Audit:Readers:1:Token"] = TenantToken,
                ["Audit:Readers:1:Organizations:0"] = "org_a",
                ["Audit:Checkpoints:SigningKey"] = CheckpointKey,
                ["Audit:Checkpoints:PreviousVerifierKeys:0"] = VerifierKeyOf(PreviousCheckpointKey),
                // Tests sign checkpoints when they need one; the schedule has its own test (fake time).
                ["Audit:Checkpoints:Interval"] = "01:00:00",
                // SIEM delivery to a receiver on loopback, quick to notice a failure and to try again.
                ["Audit:Siem:AllowPrivateNetworks"] = "true",
                ["Audit:Siem:PollInterval"] = "00:00:00.200",
                ["Audit:Siem:FirstBackoff"] = "00:00:00.500",
                ["Audit:Siem:MaxBackoff"] = "00:00:02",
                ["Audit:Siem:SendTimeout"] = "00:00:05",
                ["Audit:Siem:TokenKey"] = "siem-token-key-0123456789-0123456789-abcdef",
                ["Audit:Identity:Issuer"] = AccessTokens.Issuer,
                ["Audit:Identity:JwksUrl"] = AccessTokens.JwksUrl,
            }));
            web.ConfigureLogging(logging => logging.AddProvider(CapturedLogs.Instance));
            web.ConfigureTestServices(services =>
                // The identity service's JWKS, served by the test's own signing key without a network hop.
                services.AddHttpClient(nameof(Platform.Security.Tokens.SigningKeySet)).ConfigurePrimaryHttpMessageHandler(() => new IdentityTokens.JwksHandler()));
        });
        _ = Service.Server;
        await WaitUntilConsumingAsync();
    }

    /// <summary>
    /// The service declares its queue and bindings in the background after start-up; an event published before
    /// that is routed nowhere (the exchange drops it), so the tests begin once the queue has its consumer.
    /// </summary>
    private async Task WaitUntilConsumingAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(Servers.GetConnectionString("messaging")) };
        await using var connection = await factory.CreateConnectionAsync();
        var waited = System.Diagnostics.Stopwatch.StartNew();
        var limit = TimeSpan.FromSeconds(60);
        while (true)
        {
            await using (var channel = await connection.CreateChannelAsync())
            {
                try
                {
                    if ((await channel.QueueDeclarePassiveAsync("audit")).ConsumerCount > 0) return;
                }
                catch (RabbitMQ.Client.Exceptions.OperationInterruptedException) when (waited.Elapsed < limit)
                {
                    // Not declared yet: the passive declaration closes the channel; the next one tries again.
                }
            }

            if (waited.Elapsed > limit) throw new TimeoutException("The audit service did not start consuming its queue within 60 s.");
            await Task.Delay(100);
        }
    }

    /// <summary>A client with an identity access token of a member of <paramref name="organization"/> (see <see cref="AccessTokens"/>).</summary>
    public HttpClient UserClient(string organization, string role, string scope = "platform.audit", string subject = "usr_audit_tests")
    {
        var client = Service.CreateClient();
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer",
            AccessTokens.Create(TimeProvider.System, organization, [role], mfa: false, TimeSpan.FromMinutes(1), subject: subject, scope: scope));
        return client;
    }

    public static string VerifierKeyOf(string signingKey)
    {
        using var signer = new Checkpoints.NoteSigner(Microsoft.Extensions.Options.Options.Create(new Checkpoints.CheckpointOptions { SigningKey = signingKey }));
        return signer.VerifierKey;
    }

    public async Task DisposeAsync()
    {
        if (Service is not null) await Service.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class AuditServiceCollection : ICollectionFixture<AuditServiceFixture>
{
    public const string Name = "audit-service";
}
