using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Platform.Hosting.Testing;

namespace Platform.Retention.Tests.Infrastructure;

/// <summary>
/// The retention service in-process (WebApplicationFactory) against the real PostgreSQL and RabbitMQ the harness
/// starts, on a fake clock; storage and identity, which it asks about hold targets, are <see cref="FakeNeighbours"/>.
/// </summary>
public sealed class RetentionServiceFixture : IAsyncLifetime
{
    public const string OperatorToken = "retention-operator-token-0123456789-0123456789";
    public const string TenantOperatorToken = "tenant-operator-token-0123456789-0123456789-ab";
    public const string StorageToken = "retention-storage-token-0123456789-0123456789";
    public const string TenantOrganization = "org_tenant";

    public FakeTimeProvider Clock { get; } = new(DateTimeOffset.UtcNow);

    public CapturedLogs Logs { get; } = new();

    public FakeNeighbours Neighbours { get; } = new();

    public ServerLease Servers { get; private set; } = null!;

    public WebApplicationFactory<Program> Service { get; private set; } = null!;

    public EventTap Events { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Events = await EventTap.StartAsync(Servers.GetConnectionString("messaging"), "retention.#", "legal-hold.#", "purge.#", "organization.#", "subject-request.#", "audit.recorded");

        Service = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:retentiondb", Servers.GetConnectionString("retentiondb"));
            web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Retention:Operators:0:Name"] = "root",
                ["Retention:Operators:0:Token"] = OperatorToken,
                ["Retention:Operators:0:Organizations:0"] = "*",
                ["Retention:Operators:1:Name"] = "tenant-operator",
                ["Retention:Operators:1:Token"] = TenantOperatorToken,
                ["Retention:Operators:1:Organizations:0"] = TenantOrganization,
                ["Retention:StorageToken"] = StorageToken,
                ["Retention:Purge:SigningKey"] = "retention-receipt-key-0123456789-0123456789",
                ["Retention:Purge:RetryDelay"] = "00:01:00",
                ["Retention:Purge:AlertAfterAttempts"] = "1",
                ["Retention:Purge:BatchSize"] = "2",
                ["Retention:Purge:MaxInFlight"] = "7",
                ["Retention:Identity:Issuer"] = AccessTokens.Issuer,
                ["Retention:Identity:JwksUrl"] = AccessTokens.JwksUrl,
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
                // The tests run purge passes themselves, at chosen times of the fake clock; the scheduler (which would
                // also run one whenever the clock jumps) is exercised end to end in Platform.IntegrationTests.
                services.Remove(services.Single(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService)
                    && d.ImplementationType == typeof(Platform.Retention.PassScheduler<Platform.Retention.Purge.PurgePass>)));
                services.Remove(services.Single(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService)
                    && d.ImplementationType == typeof(Platform.Retention.PassScheduler<Platform.Retention.Closure.ClosurePass>)));
                services.Remove(services.Single(d => d.ServiceType == typeof(Microsoft.Extensions.Hosting.IHostedService)
                    && d.ImplementationType == typeof(Platform.Retention.PassScheduler<Platform.Retention.Dsar.SubjectRequestPass>)));
                services.AddHttpClient(nameof(Platform.Security.Tokens.SigningKeySet)).ConfigurePrimaryHttpMessageHandler(() => new IdentityTokens.JwksHandler());
                services.AddHttpClient("storage").ConfigurePrimaryHttpMessageHandler(Neighbours.Storage);
                services.AddHttpClient("identity").ConfigurePrimaryHttpMessageHandler(Neighbours.Identity);
            });
        });
        _ = Service.Server;
    }

    /// <summary>
    /// Moves the service's clock forward once every outbox event is confirmed: the event bus measures its own waits
    /// (publish confirms, retry backoff) on the same TimeProvider, so a jump mid-publish would time it out.
    /// </summary>
    public async Task AdvanceAsync(TimeSpan by)
    {
        await WaitForOutboxAsync();
        Clock.Advance(by);
    }

    public async Task WaitForOutboxAsync()
    {
        await using var dataSource = Npgsql.NpgsqlDataSource.Create(Servers.GetConnectionString("retentiondb"));
        var elapsed = System.Diagnostics.Stopwatch.StartNew();
        await using var unsent = dataSource.CreateCommand("SELECT count(*) FROM outbox WHERE sent_at IS NULL");
        while ((long)(await unsent.ExecuteScalarAsync())! > 0)
        {
            if (elapsed.Elapsed > TimeSpan.FromSeconds(15)) Assert.Fail("The outbox did not drain within 15 s.");
            await Task.Delay(20);
        }
    }

    /// <summary>A client with an identity access token of <paramref name="organization"/>.</summary>
    public HttpClient UserClient(string organization, string[] roles, bool mfa = true, TimeSpan? authenticatedAgo = null, string scope = "platform.organizations",
        string subject = "usr_retention_tests") =>
        Client(AccessTokens.Create(Clock, organization, roles, mfa, authenticatedAgo ?? TimeSpan.FromMinutes(1), subject: subject, scope: scope));

    public HttpClient Client(string? token)
    {
        var client = Service.CreateClient();
        if (token is not null) client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async Task DisposeAsync()
    {
        if (Service is not null) await Service.DisposeAsync();
        Directory.CreateDirectory(Path.Combine(AppContext.BaseDirectory, "platform-logs"));
        await File.WriteAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "platform-logs", "retention-service.log"), Logs.Lines);
        if (Events is not null) await Events.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class RetentionServiceCollection : ICollectionFixture<RetentionServiceFixture>
{
    public const string Name = "retention-service";
}
