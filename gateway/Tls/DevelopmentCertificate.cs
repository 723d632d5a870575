using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Gateway.Tls;

/// <summary>
/// A self-signed certificate for localhost, made on first run and kept, so that local HTTPS works without
/// setup and a browser exception for it survives restarts.
/// </summary>
internal static class DevelopmentCertificate
{
    private static readonly TimeSpan Lifetime = TimeSpan.FromDays(365);
    private static readonly TimeSpan RenewalMargin = TimeSpan.FromDays(7);
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";

    public static void EnsureUsable(string path, TimeProvider timeProvider, ILogger logger)
    {
        // Replicas share one development certificate: the first makes it, the others wait and reuse it, instead of
        // each writing its own over the others' (a client that trusts the file would then be refused by some).
        using var creation = LockCreation(path);
        var now = timeProvider.GetUtcNow();

        if (File.Exists(path))
        {
            using var existing = TryLoad(path);
            if (existing is null)
            {
                logger.DevelopmentCertificateReplaced(path, "it cannot be read as a password-less PFX");
            }
            else if (WhyNotReusable(existing, now) is { } reason)
            {
                logger.DevelopmentCertificateReplaced(path, reason);
            }
            else
            {
                logger.DevelopmentCertificateReused(
                    path,
                    existing.GetCertHashString(HashAlgorithmName.SHA256),
                    new DateTimeOffset(existing.NotAfter.ToUniversalTime()));
                return;
            }
        }

        using var certificate = Create(now);
        Write(path, certificate);
        logger.DevelopmentCertificateCreated(
            path,
            certificate.GetCertHashString(HashAlgorithmName.SHA256),
            new DateTimeOffset(certificate.NotAfter.ToUniversalTime()));
    }

    private static FileStream LockCreation(string path)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var waited = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (waited.Elapsed < TimeSpan.FromSeconds(30))
            {
                // Another gateway process is making the certificate; it takes well under a second.
                Task.Delay(TimeSpan.FromMilliseconds(50)).Wait();
            }
        }
    }

    private static X509Certificate2? TryLoad(string path)
    {
        try
        {
            return X509CertificateLoader.LoadPkcs12FromFile(path, password: null);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    private static string? WhyNotReusable(X509Certificate2 existing, DateTimeOffset now)
    {
        if (!existing.HasPrivateKey)
        {
            return "it has no private key";
        }

        if (existing.NotBefore.ToUniversalTime() > now.UtcDateTime)
        {
            return "it is not valid yet";
        }

        return existing.NotAfter.ToUniversalTime() <= (now + RenewalMargin).UtcDateTime
            ? "it expires within seven days"
            : null;
    }

    private static X509Certificate2 Create(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);

        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        names.AddIpAddress(IPAddress.IPv6Loopback);
        request.CertificateExtensions.Add(names.Build());
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid(ServerAuthentication)], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));

        // Backdated a little so that a client whose clock runs slightly behind still accepts it.
        return request.CreateSelfSigned(now.AddMinutes(-5), now + Lifetime);
    }

    private static void Write(string path, X509Certificate2 certificate)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path))!;
        Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var pfx = certificate.ExportPkcs12(Pkcs12ExportPbeParameters.Pbes2Aes256Sha256, password: null);

        // Written beside the target and moved over it, so a concurrent reader never sees half a file, and created
        // owner-only from the start rather than narrowed after the key is already on disk.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var fileOptions = new FileStreamOptions
        {
            Mode = FileMode.CreateNew,
            Access = FileAccess.Write,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
        };

        try
        {
            using (var stream = new FileStream(temporary, fileOptions))
            {
                stream.Write(pfx);
            }

            File.Move(temporary, path, overwrite: true);
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
