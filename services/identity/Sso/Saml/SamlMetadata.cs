using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;

namespace Platform.Identity.Sso.Saml;

/// <summary>What an IdP's metadata says that the service uses: its entity id, SSO URL (HTTP-Redirect) and signing certificates.</summary>
internal sealed record IdpMetadata(string EntityId, string SsoUrl, IReadOnlyList<byte[]> Certificates, bool WantAuthnRequestsSigned = false);

/// <summary>
/// Reads an IdP's metadata (SAML 2.0 metadata, section 2.4.3 IDPSSODescriptor) with the same safe reader as
/// responses. Refused with a reason the Owner can act on: malformed XML, a DTD, no HTTP-Redirect SSO service, no
/// signing certificate, a certificate that is expired, not yet valid, not RSA of 2048 bits or more, or whose key
/// usage excludes signatures.
/// </summary>
internal static class SamlMetadata
{
    public const int MaxLength = 512 * 1024;

    public static (IdpMetadata? Metadata, string? Error) ParseIdp(string? xml, DateTimeOffset now, bool allowLoopbackHttp)
    {
        if (string.IsNullOrWhiteSpace(xml) || xml.Length > MaxLength) return (null, "metadataXml is required (at most 512 KiB).");
        var bytes = System.Text.Encoding.UTF8.GetBytes(xml);
        if (SamlXml.HasDoctype(bytes)) return (null, "The metadata declares a DTD, which is refused.");
        XmlDocument document;
        try
        {
            document = SamlXml.Load(bytes);
        }
        catch (XmlException)
        {
            return (null, "The metadata is not well-formed XML.");
        }

        var root = document.DocumentElement!;
        if (root.NamespaceURI == SamlXml.Metadata && root.LocalName == "EntitiesDescriptor")
        {
            var entities = SamlXml.Children(root, SamlXml.Metadata, "EntityDescriptor").ToList();
            if (entities.Count != 1) return (null, "The metadata must describe exactly one entity.");
            root = entities[0];
        }

        if (root.NamespaceURI != SamlXml.Metadata || root.LocalName != "EntityDescriptor") return (null, "The metadata has no EntityDescriptor.");
        var entityId = root.GetAttribute("entityID");
        if (entityId is not { Length: > 0 and <= 1024 } || entityId.Any(char.IsControl)) return (null, "The EntityDescriptor has no entityID.");
        if (SamlXml.Children(root, SamlXml.Metadata, "IDPSSODescriptor").ToList() is not [var idp]) return (null, "The metadata has no (or more than one) IDPSSODescriptor.");
        if (!idp.GetAttribute("protocolSupportEnumeration").Split(' ', StringSplitOptions.RemoveEmptyEntries).Contains(SamlXml.Protocol))
        {
            return (null, "The IdP does not declare SAML 2.0 protocol support.");
        }

        var sso = SamlXml.Children(idp, SamlXml.Metadata, "SingleSignOnService").FirstOrDefault(s => s.GetAttribute("Binding") == SamlXml.RedirectBinding);
        var ssoUrl = sso?.GetAttribute("Location");
        if (!IsAllowedUrl(ssoUrl, allowLoopbackHttp)) return (null, "The IdP has no https SingleSignOnService with the HTTP-Redirect binding.");

        var certificates = new List<byte[]>();
        foreach (var descriptor in SamlXml.Children(idp, SamlXml.Metadata, "KeyDescriptor"))
        {
            // Metadata section 2.4.1.1: no "use" means both signing and encryption.
            if (descriptor.GetAttribute("use") is not ("" or "signing")) continue;
            var keyInfo = SamlXml.Child(descriptor, SamlXml.DSig, "KeyInfo");
            foreach (var data in keyInfo is null ? [] : SamlXml.Children(keyInfo, SamlXml.DSig, "X509Data"))
            {
                foreach (var element in SamlXml.Children(data, SamlXml.DSig, "X509Certificate"))
                {
                    var (der, error) = SigningCertificate(SamlXml.PlainText(element), now);
                    if (der is null) return (null, error);
                    if (!certificates.Any(c => c.AsSpan().SequenceEqual(der))) certificates.Add(der);
                }
            }
        }

        if (certificates.Count == 0) return (null, "The metadata has no signing certificate.");
        if (certificates.Count > 5) return (null, "The metadata has more than 5 signing certificates.");
        // Metadata section 2.4.3: the IdP asks for signed AuthnRequests; they are then signed with the connection's SP key.
        var wantSigned = idp.GetAttribute("WantAuthnRequestsSigned") is "true" or "1";
        return (new IdpMetadata(entityId, ssoUrl!, certificates, wantSigned), null);
    }

    private static (byte[]? Der, string? Error) SigningCertificate(string? base64, DateTimeOffset now)
    {
        X509Certificate2 certificate;
        byte[] der;
        try
        {
            der = Convert.FromBase64String(string.Concat((base64 ?? "").Where(c => !char.IsWhiteSpace(c))));
            certificate = X509CertificateLoader.LoadCertificate(der);
        }
        catch (Exception e) when (e is FormatException or CryptographicException)
        {
            return (null, "A certificate in the metadata cannot be read.");
        }

        using (certificate)
        {
            var name = certificate.Subject;
            if (certificate.NotAfter.ToUniversalTime() <= now.UtcDateTime) return (null, $"The certificate {name} expired on {certificate.NotAfter.ToUniversalTime():u}.");
            if (certificate.NotBefore.ToUniversalTime() > now.UtcDateTime) return (null, $"The certificate {name} is not valid before {certificate.NotBefore.ToUniversalTime():u}.");
            using var rsa = certificate.GetRSAPublicKey();
            if (rsa is null || rsa.KeySize < 2048) return (null, $"The certificate {name} does not hold an RSA key of 2048 bits or more.");
            if (certificate.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is { } usage && !usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
            {
                return (null, $"The certificate {name} is not a signing certificate (its key usage excludes digital signatures).");
            }

            return (der, null);
        }
    }

    public static bool IsAllowedUrl(string? url, bool allowLoopbackHttp) =>
        Uri.TryCreate(url, UriKind.Absolute, out var uri) && uri.Fragment.Length == 0 && string.IsNullOrEmpty(uri.UserInfo)
        && (uri.Scheme == Uri.UriSchemeHttps || (allowLoopbackHttp && uri.Scheme == Uri.UriSchemeHttp && uri.IsLoopback));

    /// <summary>
    /// The service provider's metadata for one connection (metadata section 2.4.4): entity id, ACS by HTTP-POST,
    /// whether each assertion must carry its own signature (the connection's setting), AuthnRequests signed when the
    /// IdP wants them, and the connection's signing and
    /// encryption certificates (current first, then the next ones while a rollover is under way), with the encryption
    /// methods the ACS decrypts (section 2.4.1.1).
    /// </summary>
    public static string Sp(string entityId, string acsUrl, IReadOnlyList<SamlSpKey> keys, bool authnRequestsSigned, bool wantAssertionsSigned)
    {
        var document = new XmlDocument();
        var root = document.CreateElement("md", "EntityDescriptor", SamlXml.Metadata);
        root.SetAttribute("entityID", entityId);
        document.AppendChild(root);
        var sp = document.CreateElement("md", "SPSSODescriptor", SamlXml.Metadata);
        sp.SetAttribute("AuthnRequestsSigned", authnRequestsSigned ? "true" : "false");
        sp.SetAttribute("WantAssertionsSigned", wantAssertionsSigned ? "true" : "false");
        sp.SetAttribute("protocolSupportEnumeration", SamlXml.Protocol);
        root.AppendChild(sp);
        foreach (var key in keys.OrderBy(k => k.Use == SamlSpKey.Encryption).ThenBy(k => k.State == SamlSpKey.Next))
        {
            var descriptor = document.CreateElement("md", "KeyDescriptor", SamlXml.Metadata);
            descriptor.SetAttribute("use", key.Use);
            var keyInfo = document.CreateElement("ds", "KeyInfo", SamlXml.DSig);
            var data = document.CreateElement("ds", "X509Data", SamlXml.DSig);
            var certificate = document.CreateElement("ds", "X509Certificate", SamlXml.DSig);
            certificate.InnerText = Convert.ToBase64String(key.Certificate);
            data.AppendChild(certificate);
            keyInfo.AppendChild(data);
            descriptor.AppendChild(keyInfo);
            if (key.Use == SamlSpKey.Encryption)
            {
                foreach (var method in SamlXml.AcceptedEncryptionMethods)
                {
                    var element = document.CreateElement("md", "EncryptionMethod", SamlXml.Metadata);
                    element.SetAttribute("Algorithm", method);
                    descriptor.AppendChild(element);
                }
            }

            sp.AppendChild(descriptor);
        }

        var format = document.CreateElement("md", "NameIDFormat", SamlXml.Metadata);
        format.InnerText = SamlXml.EmailFormat;
        sp.AppendChild(format);
        var acs = document.CreateElement("md", "AssertionConsumerService", SamlXml.Metadata);
        acs.SetAttribute("Binding", SamlXml.PostBinding);
        acs.SetAttribute("Location", acsUrl);
        acs.SetAttribute("index", "0");
        acs.SetAttribute("isDefault", "true");
        sp.AppendChild(acs);
        return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" + document.OuterXml;
    }
}
