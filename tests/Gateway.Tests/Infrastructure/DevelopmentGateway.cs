namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>A gateway started once for a test class, with a development certificate and a security.txt.</summary>
public sealed class DevelopmentGateway(Servers servers) : IAsyncLifetime
{
    private GatewayProcess? _gateway;

    internal GatewayProcess Gateway => _gateway ?? throw new InvalidOperationException("The gateway is not started.");

    public string CertificatePath { get; } = Path.Combine(servers.NewFolder(), "dev.pfx");

    public async Task InitializeAsync()
    {
        _gateway = GatewayProcess.Start(servers.WorkDirectory, new Dictionary<string, string>(servers.ConnectionStrings)
        {
            ["Gateway__DevelopmentCertificatePath"] = CertificatePath,
            ["Gateway__SecurityTxt__Contact"] = "mailto:security-tests@example.org",
            ["Gateway__SecurityTxt__Expires"] = "2031-01-02T04:04:05+01:00",
            ["Gateway__SecurityTxt__Policy"] = "https://example.org/security-policy",
            ["Gateway__SecurityTxt__Encryption"] = "https://example.org/pgp-key.txt",
        });
        await _gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
    }

    public async Task DisposeAsync()
    {
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }
    }
}
