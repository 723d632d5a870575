using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Gateway.Tls;

/// <summary>Where the server certificate lives: a PFX, or a PEM certificate (and chain) with its key.</summary>
/// <remarks>A class rather than a record: a record's generated ToString would print the password.</remarks>
internal sealed class CertificateFiles(string path, string? keyPath, string? password)
{
    private static readonly string[] Pkcs12Extensions = [".pfx", ".p12"];

    public string Path { get; } = path;

    public string? KeyPath { get; } = keyPath;

    private string? Password { get; } = password;

    public static CertificateFiles From(GatewayOptions options) =>
        string.IsNullOrWhiteSpace(options.Certificate.Path)
            ? new CertificateFiles(options.DevelopmentCertificatePath!, keyPath: null, password: null)
            : new CertificateFiles(options.Certificate.Path, NullIfEmpty(options.Certificate.KeyPath), NullIfEmpty(options.Certificate.Password));

    /// <summary>A fingerprint of the files' contents, to notice a renewal.</summary>
    public FileStamp Stamp() => FileStamp.Of(Path, KeyPath);

    /// <summary>Loads the leaf certificate with its private key, and whatever chain the files carry.</summary>
    /// <exception cref="CryptographicException">The files do not hold a usable certificate and key.</exception>
    public (X509Certificate2 Leaf, SslStreamCertificateContext Context) Load()
    {
        var (leaf, chain) = IsPkcs12 ? LoadPkcs12() : LoadPem();

        if (!leaf.HasPrivateKey)
        {
            throw new CryptographicException($"The certificate in '{Path}' comes without its private key.");
        }

        // offline: the chain comes from the files and the machine's store, never from fetching AIA URLs mid-handshake.
        return (leaf, SslStreamCertificateContext.Create(leaf, chain, offline: true));
    }

    private bool IsPkcs12 =>
        KeyPath is null && Pkcs12Extensions.Contains(System.IO.Path.GetExtension(Path), StringComparer.OrdinalIgnoreCase);

    private (X509Certificate2 Leaf, X509Certificate2Collection Chain) LoadPkcs12()
    {
        var all = X509CertificateLoader.LoadPkcs12CollectionFromFile(Path, Password);
        var leaf = all.FirstOrDefault(certificate => certificate.HasPrivateKey)
            ?? throw new CryptographicException($"'{Path}' holds no certificate with a private key.");
        all.Remove(leaf);
        return (leaf, all);
    }

    private (X509Certificate2 Leaf, X509Certificate2Collection Chain) LoadPem()
    {
        X509Certificate2 leaf;
        try
        {
            // With no KeyPath the key is expected in the certificate file itself.
            leaf = Password is null
                ? X509Certificate2.CreateFromPemFile(Path, KeyPath)
                : X509Certificate2.CreateFromEncryptedPemFile(Path, Password, KeyPath);
        }
        catch (ArgumentException exception)
        {
            // "The provided key does not match the public key for this certificate": typically a renewal caught
            // half-written, the certificate already new and the key still old. Reported as the unusable pair it is,
            // and without the key: the inner exception names the mismatch, never the material.
            throw new CryptographicException(
                $"The private key in '{KeyPath ?? Path}' does not belong to the certificate in '{Path}'.", exception);
        }

        var all = new X509Certificate2Collection();
        all.ImportFromPemFile(Path);
        var chain = new X509Certificate2Collection();
        foreach (var certificate in all)
        {
            if (certificate.Thumbprint != leaf.Thumbprint)
            {
                chain.Add(certificate);
            }
        }

        return (leaf, chain);
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
