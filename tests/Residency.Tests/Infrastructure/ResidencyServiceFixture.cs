using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Platform.Hosting.Testing;

namespace Platform.Residency.Tests.Infrastructure;

/// <summary>
/// The residency service in-process (WebApplicationFactory) against the real PostgreSQL and RabbitMQ the harness
/// starts; the regions' storages, which it asks what an organization holds, are <see cref="FakeRegionalStorage"/>.
/// </summary>
public sealed class ResidencyServiceFixture : IAsyncLifetime
{
    public const string GatewayToken = "residency-gateway-token-0123456789-0123456789";
    public const string StorageToken = "residency-storage-token-0123456789-0123456789";
    public const string OperatorToken = "residency-operator-token-0123456789-0123456789";
    public const string ReportSigningKey = "residency-report-key-0123456789-0123456789";

    public CapturedLogs Logs { get; } = new();

    public FakeRegionalStorage Storage { get; } = new();

    public ServerLease Servers { get; private set; } = null!;

    public WebApplicationFactory<Program> Service { get; private set; } = null!;

    public EventTap Events { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Servers = await TestServers.LeaseAsync();
        Events = await EventTap.StartAsync(Servers.GetConnectionString("messaging"), "residency.#", "audit.recorded");

        Service = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            web.UseEnvironment("Development");
            web.UseSetting("ConnectionStrings:residencydb", Servers.GetConnectionString("residencydb"));
            web.UseSetting("ConnectionStrings:messaging", Servers.GetConnectionString("messaging"));
            var settings = new Dictionary<string, string?>
            {
                ["Residency:DefaultRegion"] = "us",
                ["Residency:StorageToken"] = StorageToken,
                ["Residency:ServiceTokens:0"] = GatewayToken,
                ["Residency:Reports:SigningKey"] = ReportSigningKey,
                ["Residency:Operators:0:Name"] = "operator",
                ["Residency:Operators:0:Token"] = OperatorToken,
                ["Residency:Operators:0:Organizations:0"] = "*",
                ["Residency:Identity:Issuer"] = IdentityTokens.Issuer,
                ["Residency:Identity:JwksUrl"] = IdentityTokens.JwksUrl,
            };
            foreach (var (index, id, name) in new[] { (0, "us", "United States"), (1, "eu", "European Union"), (2, "apac", "Asia-Pacific") })
            {
                settings[$"Residency:Regions:{index}:Id"] = id;
                settings[$"Residency:Regions:{index}:Name"] = name;
                settings[$"Residency:Regions:{index}:Jurisdiction"] = name;
                settings[$"Residency:Regions:{index}:StorageEndpoint"] = $"http://storage-{id}.test";
            }

            web.ConfigureAppConfiguration((_, configuration) => configuration.AddInMemoryCollection(settings));
            web.ConfigureLogging(logging =>
            {
                logging.ClearProviders();
                logging.AddProvider(Logs);
            });
            web.ConfigureTestServices(services =>
            {
                services.AddHttpClient(nameof(Platform.Security.Tokens.SigningKeySet)).ConfigurePrimaryHttpMessageHandler(() => new IdentityTokens.JwksHandler());
                services.AddHttpClient(Platform.Residency.Regions.StorageHoldings.Client).ConfigurePrimaryHttpMessageHandler(() => Storage);
                services.AddHttpClient(Platform.Residency.Scans.Inventories.Client).ConfigurePrimaryHttpMessageHandler(() => Storage);
            });
        });
        _ = Service.Server;
    }

    /// <summary>A client with an identity access token of <paramref name="organization"/>.</summary>
    public HttpClient UserClient(string organization, string[] roles, bool mfa = true, TimeSpan? authenticatedAgo = null, string scope = "platform.organizations") =>
        Client(IdentityTokens.Create(TimeProvider.System, organization, roles, mfa, authenticatedAgo ?? TimeSpan.FromMinutes(1), "usr_residency_tests", scope,
            "platform-api", null, null));

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
        await File.WriteAllLinesAsync(Path.Combine(AppContext.BaseDirectory, "platform-logs", "residency-service.log"), Logs.Lines);
        if (Events is not null) await Events.DisposeAsync();
        if (Servers is not null) await Servers.DisposeAsync();
    }
}

[CollectionDefinition(Name)]
public sealed class ResidencyServiceCollection : ICollectionFixture<ResidencyServiceFixture>
{
    public const string Name = "residency-service";
}
