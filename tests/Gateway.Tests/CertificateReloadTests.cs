using System.Diagnostics;
using Platform.Gateway.Tests.Infrastructure;

namespace Platform.Gateway.Tests;

/// <summary>A renewed PEM certificate on disk is served without a restart (cert-manager renews into a mounted secret).</summary>
[Collection(GatewayCollection.Name)]
public sealed class CertificateReloadTests(Servers servers)
{
    private static readonly TimeSpan ReloadInterval = TimeSpan.FromSeconds(1);

    [Fact]
    public async Task Renewed_certificate_is_served_within_the_reload_interval_without_dropping_open_connections()
    {
        var folder = servers.NewFolder();
        var certificatePath = Path.Combine(folder, "tls.crt");
        var keyPath = Path.Combine(folder, "tls.key");
        using var original = TestCertificates.Create("gateway-original");
        using var renewed = TestCertificates.Create("gateway-renewed");
        string[] pinned = [TestCertificates.Sha256(original), TestCertificates.Sha256(renewed)];
        TestCertificates.WritePem(original, certificatePath, keyPath);
        await using var gateway = await StartAsync(certificatePath, keyPath);
        var processId = gateway.ProcessId;

        await using var open = await TlsConnection.OpenAsync(gateway.HttpsPort, pinned);
        Assert.Equal(original.Thumbprint, open.ServerCertificate.Thumbprint);
        Assert.Equal(200, (await open.GetAsync("/.well-known/security.txt")).Status);

        TestCertificates.WritePem(renewed, certificatePath, keyPath);
        var clock = Stopwatch.StartNew();
        var served = await ServedAfterAsync(gateway, pinned, renewed.Thumbprint, TimeSpan.FromSeconds(10));

        Assert.Equal(renewed.Thumbprint, served);
        Assert.True(clock.Elapsed < ReloadInterval + TimeSpan.FromSeconds(2), $"the renewed certificate took {clock.Elapsed.TotalSeconds:0.0} s");
        // The connection opened before the renewal keeps working, on the certificate it was opened with.
        Assert.Equal(200, (await open.GetAsync("/.well-known/security.txt")).Status);
        Assert.Equal(original.Thumbprint, open.ServerCertificate.Thumbprint);
        Assert.False(gateway.HasExited);
        Assert.Equal(processId, gateway.ProcessId);
    }

    [Fact]
    public async Task Half_written_renewal_keeps_the_previous_certificate_until_the_key_matches()
    {
        var folder = servers.NewFolder();
        var certificatePath = Path.Combine(folder, "tls.crt");
        var keyPath = Path.Combine(folder, "tls.key");
        using var original = TestCertificates.Create("gateway-original");
        using var renewed = TestCertificates.Create("gateway-renewed");
        string[] pinned = [TestCertificates.Sha256(original), TestCertificates.Sha256(renewed)];
        TestCertificates.WritePem(original, certificatePath, keyPath);
        await using var gateway = await StartAsync(certificatePath, keyPath);

        // The certificate is renewed but the key is still the old one: the pair does not load.
        TestCertificates.WriteCertificatePem(renewed, certificatePath);
        await Task.Delay(ReloadInterval * 2.5);
        for (var handshake = 0; handshake < 3; handshake++)
        {
            await using var during = await TlsConnection.OpenAsync(gateway.HttpsPort, pinned);
            Assert.Equal(original.Thumbprint, during.ServerCertificate.Thumbprint);
            await Task.Delay(ReloadInterval / 2);
        }

        TestCertificates.WriteKeyPem(renewed, keyPath);

        Assert.Equal(renewed.Thumbprint, await ServedAfterAsync(gateway, pinned, renewed.Thumbprint, TimeSpan.FromSeconds(10)));
        Assert.Contains("could not be loaded; still serving the previous certificate", gateway.Output);
    }

    private async Task<GatewayProcess> StartAsync(string certificatePath, string keyPath)
    {
        var gateway = GatewayProcess.Start(servers.WorkDirectory, new Dictionary<string, string>(servers.ConnectionStrings)
        {
            ["Gateway__Certificate__Path"] = certificatePath,
            ["Gateway__Certificate__KeyPath"] = keyPath,
            ["Gateway__Certificate__ReloadCheckInterval"] = ReloadInterval.ToString("c"),
        });
        try
        {
            await gateway.WaitUntilReadyAsync(TimeSpan.FromSeconds(30));
            return gateway;
        }
        catch
        {
            await gateway.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens new connections until one presents <paramref name="expected"/>; the last thumbprint seen.</summary>
    private static async Task<string> ServedAfterAsync(GatewayProcess gateway, string[] pinned, string expected, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            await using var connection = await TlsConnection.OpenAsync(gateway.HttpsPort, pinned);
            var thumbprint = connection.ServerCertificate.Thumbprint;
            if (thumbprint == expected || clock.Elapsed > timeout)
            {
                return thumbprint;
            }

            await Task.Delay(100);
        }
    }
}
