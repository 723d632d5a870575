using System.Security.Cryptography.X509Certificates;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// The SAML side of a connection: the IdP's entity id, SSO URL and signing certificates (DER; several during a
/// rollover), whether IdP-initiated answers are taken, whether the IdP wants signed AuthnRequests, and whether every
/// assertion must carry the IdP's own signature (the SP metadata's WantAssertionsSigned; on unless the Owner turned it off).
/// </summary>
internal sealed record SamlSettings(string ConnectionId, string IdpEntityId, string SsoUrl, IReadOnlyList<byte[]> Certificates, bool AllowIdpInitiated,
    bool WantAuthnRequestsSigned = false, bool WantAssertionsSigned = true)
{
    public IReadOnlyList<X509Certificate2> LoadCertificates() => Certificates.Select(c => X509CertificateLoader.LoadCertificate(c)).ToList();

    /// <summary>The service provider's entity id for this connection (one per connection: an answer meant for one is refused at another).</summary>
    public static string SpEntityId(string issuer, string connectionId) => $"{issuer.TrimEnd('/')}/sso/saml/{connectionId}";

    public static string AcsUrl(string issuer, string connectionId) => SpEntityId(issuer, connectionId) + "/acs";

    public static string MetadataUrl(string issuer, string connectionId) => SpEntityId(issuer, connectionId) + "/metadata";
}
