using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Platform.Gateway.Tls;

namespace Platform.Gateway.Tests;

public sealed class DevelopmentCertificateTests : IDisposable
{
    private const UnixFileMode OwnerReadWrite = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private static readonly DateTimeOffset Start = new(2030, 3, 1, 12, 0, 0, TimeSpan.Zero);

    private readonly string _folder = Path.Combine(Path.GetTempPath(), $"gateway-devcert-{Guid.NewGuid():n}");
    private readonly FakeTimeProvider _time = new(Start);

    private string CertificatePath => Path.Combine(_folder, "certs", "development-certificate.pfx");

    [Fact]
    public void First_run_creates_a_localhost_certificate_for_server_authentication()
    {
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);

        using var certificate = Load();
        Assert.True(certificate.HasPrivateKey);
        Assert.True(certificate.GetECDsaPublicKey() is not null || certificate.GetRSAPublicKey() is not null, "neither an EC nor an RSA key");
        var names = certificate.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["localhost"], names.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback], names.EnumerateIPAddresses());
        var usages = certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages;
        Assert.Contains(usages.Cast<Oid>(), usage => usage.Value == "1.3.6.1.5.5.7.3.1");
        Assert.False(certificate.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.True(certificate.NotBefore.ToUniversalTime() <= Start.UtcDateTime);
        Assert.True(certificate.NotAfter.ToUniversalTime() > Start.AddDays(300).UtcDateTime);
    }

    [Fact]
    public void Certificate_file_and_its_new_folder_are_readable_by_the_owner_only()
    {
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);

        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(CertificatePath));
        Assert.Equal(OwnerReadWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(CertificatePath)!));
        // Beside it only the (empty) lock that lets replicas share one certificate.
        Assert.Equal([CertificatePath, CertificatePath + ".lock"], Directory.GetFiles(Path.GetDirectoryName(CertificatePath)!).Order());
        Assert.Equal(0, new FileInfo(CertificatePath + ".lock").Length);
    }

    [Fact]
    public async Task Replicas_starting_together_share_one_certificate()
    {
        var thumbprints = await Task.WhenAll(Enumerable.Range(0, 4).Select(_ => Task.Run(() =>
        {
            DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);
            return System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, null).Thumbprint;
        })));

        Assert.Single(thumbprints.Distinct());
    }

    [Fact]
    public void Valid_certificate_is_reused_on_the_next_run()
    {
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);
        var first = File.ReadAllBytes(CertificatePath);

        _time.Advance(TimeSpan.FromDays(200));
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);

        Assert.Equal(first, File.ReadAllBytes(CertificatePath));
    }

    [Fact]
    public void Certificate_that_expires_within_seven_days_is_replaced()
    {
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);
        string oldThumbprint;
        DateTime oldNotAfter;
        using (var old = Load())
        {
            oldThumbprint = old.Thumbprint;
            oldNotAfter = old.NotAfter.ToUniversalTime();
        }

        _time.SetUtcNow(new DateTimeOffset(oldNotAfter, TimeSpan.Zero).AddDays(-6));
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);

        using var renewed = Load();
        Assert.NotEqual(oldThumbprint, renewed.Thumbprint);
        Assert.True(renewed.NotAfter.ToUniversalTime() > oldNotAfter.AddDays(300));
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(CertificatePath));
    }

    [Fact]
    public void Certificate_that_expires_in_eight_days_is_kept()
    {
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);
        var first = File.ReadAllBytes(CertificatePath);
        using (var old = Load())
        {
            _time.SetUtcNow(new DateTimeOffset(old.NotAfter.ToUniversalTime(), TimeSpan.Zero).AddDays(-8));
        }

        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);

        Assert.Equal(first, File.ReadAllBytes(CertificatePath));
    }

    [Fact]
    public void Certificate_from_the_future_is_replaced()
    {
        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);
        var first = File.ReadAllBytes(CertificatePath);

        // The clock was set back (or the file came from a machine whose clock ran ahead).
        DevelopmentCertificate.EnsureUsable(CertificatePath, new FakeTimeProvider(Start.AddDays(-2)), NullLogger.Instance);

        Assert.NotEqual(first, File.ReadAllBytes(CertificatePath));
        using var replaced = Load();
        Assert.True(replaced.NotBefore.ToUniversalTime() <= Start.AddDays(-2).UtcDateTime);
    }

    [Fact]
    public void Unreadable_file_is_replaced_by_a_working_certificate()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(CertificatePath)!);
        File.WriteAllText(CertificatePath, "not a certificate");

        DevelopmentCertificate.EnsureUsable(CertificatePath, _time, NullLogger.Instance);

        using var certificate = Load();
        Assert.True(certificate.HasPrivateKey);
        Assert.Equal(OwnerReadWrite, File.GetUnixFileMode(CertificatePath));
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }

    private X509Certificate2 Load() => X509CertificateLoader.LoadPkcs12FromFile(CertificatePath, password: null);
}
