using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// One of a connection's service-provider key pairs: <see cref="Signing"/> (AuthnRequests, LogoutRequests and
/// LogoutResponses) or <see cref="Encryption"/> (the IdP encrypts assertions to it), <see cref="Current"/>, or
/// <see cref="Next"/> while an Owner's rollover is under way. The private key stays sealed (<see cref="Mfa.DataProtector"/>)
/// until it is used.
/// </summary>
internal sealed record SamlSpKey(string ConnectionId, string Use, string State, byte[] Certificate, byte[] SealedKey, DateTimeOffset CreatedAt)
{
    public const string Signing = "signing";
    public const string Encryption = "encryption";
    public const string Current = "current";
    public const string Next = "next";

    /// <summary>How long a generated certificate is valid; IdPs that check SP certificates' dates see them valid, and a rollover replaces them long before.</summary>
    public static readonly TimeSpan Validity = TimeSpan.FromDays(5 * 365);

    /// <summary>The sealing context binds the sealed key to its connection, use and certificate: a ciphertext copied to another row does not open.</summary>
    public string SealContext => Context(ConnectionId, Use, Certificate);

    public static string Context(string connectionId, string use, byte[] certificate) =>
        $"saml-sp-key:{connectionId}:{use}:{SamlAdministration.Thumbprint(certificate)}";

    /// <summary>A new RSA-2048 key and its self-signed certificate (SHA-256), with the key usage of its use (RFC 5280 section 4.2.1.3).</summary>
    public static (byte[] Certificate, byte[] Pkcs8) Generate(string connectionId, string use, DateTimeOffset now)
    {
        using var rsa = RSA.Create(2048);
        var request = new CertificateRequest($"CN=Platform SAML SP {use} {connectionId}", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        request.CertificateExtensions.Add(new X509KeyUsageExtension(
            use == Signing ? X509KeyUsageFlags.DigitalSignature : X509KeyUsageFlags.KeyEncipherment | X509KeyUsageFlags.DataEncipherment, critical: true));
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        using var certificate = request.CreateSelfSigned(now.AddMinutes(-5), now + Validity);
        return (certificate.RawData, rsa.ExportPkcs8PrivateKey());
    }

    public X509Certificate2 LoadCertificate() => X509CertificateLoader.LoadCertificate(Certificate);
}
