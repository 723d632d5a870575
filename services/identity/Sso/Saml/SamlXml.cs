using System.Xml;

namespace Platform.Identity.Sso.Saml;

/// <summary>The SAML 2.0 namespaces, and the one way this service reads XML from outside: no DTD, no resolver, no entities.</summary>
internal static class SamlXml
{
    public const string Protocol = "urn:oasis:names:tc:SAML:2.0:protocol";
    public const string Assertion = "urn:oasis:names:tc:SAML:2.0:assertion";
    public const string Metadata = "urn:oasis:names:tc:SAML:2.0:metadata";
    public const string DSig = "http://www.w3.org/2000/09/xmldsig#";
    public const string Success = "urn:oasis:names:tc:SAML:2.0:status:Success";
    public const string Bearer = "urn:oasis:names:tc:SAML:2.0:cm:bearer";
    public const string RedirectBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect";
    public const string PostBinding = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST";
    public const string EmailFormat = "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress";
    public const string Aes128Gcm = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
    public const string Aes256Gcm = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
    public const string Aes128Cbc = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
    public const string Aes256Cbc = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
    public const string RsaOaep = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
    public const string RsaOaep11 = "http://www.w3.org/2009/xmlenc11#rsa-oaep";

    /// <summary>What the SP metadata offers for encrypted assertions: AES-GCM first, AES-CBC, and RSA-OAEP key transport (never RSA1_5).</summary>
    public static readonly string[] AcceptedEncryptionMethods = [Aes256Gcm, Aes128Gcm, Aes256Cbc, Aes128Cbc, RsaOaep, RsaOaep11];

    /// <summary>
    /// Loads a document with DTDs prohibited (an XmlException, not a parsed entity: billion laughs and XXE never start)
    /// and no resolver; whitespace preserved, which the signature's digest needs.
    /// </summary>
    public static XmlDocument Load(byte[] xml)
    {
        var settings = new XmlReaderSettings
        {
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = 1024 * 1024,
            IgnoreProcessingInstructions = false,
            IgnoreComments = false,
        };
        var document = new XmlDocument { PreserveWhitespace = true, XmlResolver = null };
        using var stream = new MemoryStream(xml, writable: false);
        using var reader = XmlReader.Create(stream, settings);
        document.Load(reader);
        return document;
    }

    /// <summary>Whether the bytes declare a document type (checked before parsing, so the refusal has its own reason).</summary>
    public static bool HasDoctype(byte[] xml) =>
        System.Text.Encoding.UTF8.GetString(xml).Contains("<!DOCTYPE", StringComparison.OrdinalIgnoreCase)
        || System.Text.Encoding.Unicode.GetString(xml).Contains("<!DOCTYPE", StringComparison.OrdinalIgnoreCase);

    public static IEnumerable<XmlElement> Children(XmlElement parent, string ns, string localName) =>
        parent.ChildNodes.OfType<XmlElement>().Where(e => e.NamespaceURI == ns && e.LocalName == localName);

    public static XmlElement? Child(XmlElement parent, string ns, string localName) => Children(parent, ns, localName).FirstOrDefault();

    /// <summary>
    /// The text of an element that holds only text: a comment, element or processing instruction inside an identity
    /// value is refused (null), never read around. Exclusive canonicalization drops comments, so
    /// <c>user@evil.com&lt;!----&gt;.example.com</c> keeps a valid signature while a reader of the first text node
    /// would see another address.
    /// </summary>
    public static string? PlainText(XmlElement element)
    {
        var text = new System.Text.StringBuilder();
        foreach (XmlNode node in element.ChildNodes)
        {
            if (node.NodeType is not (XmlNodeType.Text or XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace)) return null;
            text.Append(node.Value);
        }

        return text.ToString().Trim();
    }
}
