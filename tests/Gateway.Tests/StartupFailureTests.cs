using Platform.Gateway.Tests.Infrastructure;

namespace Platform.Gateway.Tests;

/// <summary>A misconfigured gateway refuses to start and says everything that is wrong in one go. No servers needed.</summary>
public sealed class StartupFailureTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"gateway-startup-{Guid.NewGuid():n}");

    [Fact]
    public async Task Bad_configuration_exits_non_zero_naming_every_error()
    {
        Directory.CreateDirectory(_folder);
        var developmentCertificate = Path.Combine(_folder, "dev.pfx");
        await using var gateway = GatewayProcess.Start(_folder, new Dictionary<string, string>
        {
            ["Gateway__HttpsPort"] = "0",
            ["Gateway__InternalPort"] = "70000",
            ["Gateway__BindAddress"] = "my-host",
            ["Gateway__TrustedProxies__0"] = "not-a-range",
            ["Gateway__DevelopmentCertificatePath"] = developmentCertificate,
            ["Gateway__Certificate__Path"] = "/nonexistent/tls.crt",
            ["Gateway__SecurityTxt__Expires"] = "soon",
            ["Gateway__SecurityTxt__Policy"] = "http://example.com/policy",
            ["Gateway__Audit__EventsPerMessage"] = "0",
            ["Gateway__Audit__PublishLinger"] = "00:01:00",
            ["ConnectionStrings__messaging"] = "amqp://guest:guest@127.0.0.1:1",
        });

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var output = gateway.Output;
        Assert.Equal(1, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Gateway:HttpsPort is required and must be between 1 and 65535.", output);
        Assert.Contains("Gateway:InternalPort is required and must be between 1 and 65535.", output);
        Assert.Contains("Gateway:BindAddress 'my-host' is not an IPv4 or IPv6 address (or 'localhost' for both loopbacks).", output);
        Assert.Contains("Gateway:TrustedProxies entry 'not-a-range'", output);
        Assert.Contains("Gateway:DevelopmentCertificatePath must not be set together with Gateway:Certificate:Path.", output);
        Assert.Contains("Gateway:Certificate:Path '/nonexistent/tls.crt' does not exist.", output);
        Assert.Contains("Gateway:SecurityTxt:Expires is required with Contact", output);
        Assert.Contains("Gateway:SecurityTxt:Policy must use https, not http", output);
        Assert.Contains("Gateway:Audit:EventsPerMessage must be between 1 and 1000.", output);
        Assert.Contains("Gateway:Audit:PublishLinger must be between 0 and 5 seconds.", output);
        Assert.False(File.Exists(developmentCertificate), "a refused start must not create a certificate");
    }

    [Fact]
    public async Task Missing_connection_string_is_reported_with_the_option_errors_and_no_certificate_is_made()
    {
        Directory.CreateDirectory(_folder);
        var developmentCertificate = Path.Combine(_folder, "dev.pfx");
        // No ConnectionStrings__messaging: the audit spool's event bus needs it.
        await using var gateway = GatewayProcess.Start(_folder, new Dictionary<string, string>
        {
            ["Gateway__DevelopmentCertificatePath"] = developmentCertificate,
            ["Gateway__Audit__SpoolDirectory"] = "",
            ["Gateway__SecurityTxt__Contact"] = "mailto:security@example.com",
            ["Gateway__SecurityTxt__Expires"] = "12/31/2030",
        });

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var output = gateway.Output;
        Assert.Equal(1, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("ConnectionStrings__messaging", output);
        Assert.Contains("Gateway:Audit:SpoolDirectory is required", output);
        Assert.Contains("Gateway:SecurityTxt:Expires is required with Contact", output);
        Assert.False(File.Exists(developmentCertificate), "a refused start must not create a certificate");
    }

    [Fact]
    public async Task Missing_connection_string_alone_stops_the_start_before_the_certificate_is_made()
    {
        Directory.CreateDirectory(_folder);
        var developmentCertificate = Path.Combine(_folder, "dev.pfx");
        await using var gateway = GatewayProcess.Start(_folder, new Dictionary<string, string>
        {
            ["Gateway__DevelopmentCertificatePath"] = developmentCertificate,
        });

        var exitCode = await gateway.WaitForExitAsync(TimeSpan.FromSeconds(30));

        var output = gateway.Output;
        Assert.Equal(1, exitCode);
        AssertNoStackTrace(output);
        Assert.Contains("Connection string 'messaging' is missing", output);
        Assert.False(File.Exists(developmentCertificate), "a refused start must not create a certificate");
    }

    // An operator gets sentences to act on, not a crash: no "Unhandled exception." and no "   at Namespace.Type.Method".
    private static void AssertNoStackTrace(string output)
    {
        Assert.DoesNotContain("Unhandled exception", output);
        Assert.DoesNotMatch(@"(?m)^\s+at \S+\(", output);
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
