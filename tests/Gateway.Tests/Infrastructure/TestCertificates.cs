using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Gateway.Tests.Infrastructure;

/// <summary>Server certificates made for a test, written the way an operator (or cert-manager) hands them over.</summary>
internal static class TestCertificates
{
    public static X509Certificate2 Create(string commonName)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        var now = TimeProvider.System.GetUtcNow();
        return request.CreateSelfSigned(now.AddHours(-1), now.AddDays(30));
    }

    /// <summary>
    /// A certificate as a public CA issues one: signed by a separate CA certificate, with a CRL distribution point and
    /// an OCSP responder named (scanners rate a certificate without revocation information as a high-severity issue).
    /// </summary>
    public static (X509Certificate2 Authority, X509Certificate2 Server) CreateIssued(string commonName)
    {
        var now = TimeProvider.System.GetUtcNow();
        using var authorityKey = ECDsa.Create(ECCurve.NamedCurves.nistP384);
        var authorityRequest = new CertificateRequest($"CN={commonName} test CA", authorityKey, HashAlgorithmName.SHA384);
        authorityRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        authorityRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(authorityRequest.PublicKey, critical: false));
        var authority = authorityRequest.CreateSelfSigned(now.AddDays(-1), now.AddYears(1));

        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest($"CN={commonName}", key, HashAlgorithmName.SHA256);
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(authority, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        request.CertificateExtensions.Add(CertificateRevocationListBuilder.BuildCrlDistributionPointExtension(["http://crl.example.org/test-ca.crl"]));
        request.CertificateExtensions.Add(new X509AuthorityInformationAccessExtension(["http://ocsp.example.org"], ["http://ca.example.org/test-ca.crt"]));
        using var issued = request.Create(authority, now.AddHours(-1), now.AddDays(90), RandomNumberGenerator.GetBytes(16));
        return (authority, issued.CopyWithPrivateKey(key));
    }

    /// <summary>Writes the certificate and key as PEM, each through a temporary file and a rename, as a renewal would.</summary>
    public static void WritePem(X509Certificate2 certificate, string certificatePath, string keyPath)
    {
        WriteKeyPem(certificate, keyPath);
        WriteCertificatePem(certificate, certificatePath);
    }

    public static void WriteCertificatePem(X509Certificate2 certificate, string path) =>
        Replace(path, certificate.ExportCertificatePem());

    public static void WriteKeyPem(X509Certificate2 certificate, string path)
    {
        using var key = certificate.GetECDsaPrivateKey() ?? throw new InvalidOperationException("The test certificate has no EC key.");
        Replace(path, key.ExportPkcs8PrivateKeyPem());
    }

    public static string Sha256(X509Certificate certificate) => certificate.GetCertHashString(HashAlgorithmName.SHA256);

    private static void Replace(string path, string contents)
    {
        var temporary = $"{path}.{Guid.NewGuid():n}.tmp";
        File.WriteAllText(temporary, contents);
        File.Move(temporary, path, overwrite: true);
    }
}
