using System.Security.Cryptography;
using System.Xml;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// Decrypts an EncryptedAssertion (SAML 2.0 core section 2.3.4, XML Encryption 1.1) with the connection's SP
/// encryption keys: the content by AES-GCM (128/256) or AES-CBC (128/256), the content key transported by RSA-OAEP
/// only. RSA PKCS#1 v1.5 key transport is refused outright (XML Encryption 1.1 section 5.5.1 warns of its chosen-
/// ciphertext attacks), as are any other algorithm, a CipherReference, more than one EncryptedData or EncryptedKey,
/// and plaintext that is not exactly one Assertion element. Every failure to decrypt or parse gives the same reason,
/// so the answer is no padding or format oracle for AES-CBC.
/// </summary>
internal static class SamlDecryption
{
    public const string XEnc = "http://www.w3.org/2001/04/xmlenc#";
    public const string XEnc11 = "http://www.w3.org/2009/xmlenc11#";
    private const string Rsa15 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";
    private const string Sha1 = "http://www.w3.org/2000/09/xmldsig#sha1";
    private const string Sha256 = "http://www.w3.org/2001/04/xmlenc#sha256";
    private const string Mgf1Sha1 = "http://www.w3.org/2009/xmlenc11#mgf1sha1";
    private const string Mgf1Sha256 = "http://www.w3.org/2009/xmlenc11#mgf1sha256";

    public static (XmlElement? Assertion, string? Reason) Decrypt(XmlElement encryptedAssertion, IReadOnlyList<RSA> keys)
    {
        if (SamlXml.Children(encryptedAssertion, XEnc, "EncryptedData").ToList() is not [var data]) return (null, SamlReasons.DecryptionFailed);
        var (contentAlgorithm, keyLength) = SamlXml.Child(data, XEnc, "EncryptionMethod")?.GetAttribute("Algorithm") switch
        {
            SamlXml.Aes128Gcm => (SamlXml.Aes128Gcm, 16),
            SamlXml.Aes256Gcm => (SamlXml.Aes256Gcm, 32),
            SamlXml.Aes128Cbc => (SamlXml.Aes128Cbc, 16),
            SamlXml.Aes256Cbc => (SamlXml.Aes256Cbc, 32),
            _ => (null, 0),
        };
        if (contentAlgorithm is null) return (null, SamlReasons.EncryptionAlgorithm);

        // The EncryptedKey: inside the EncryptedData's KeyInfo, or beside it in the EncryptedAssertion (core section 2.3.4).
        var keyInfo = SamlXml.Child(data, SamlXml.DSig, "KeyInfo");
        var encryptedKeys = (keyInfo is null ? [] : SamlXml.Children(keyInfo, XEnc, "EncryptedKey")).Concat(SamlXml.Children(encryptedAssertion, XEnc, "EncryptedKey")).ToList();
        if (encryptedKeys is not [var encryptedKey]) return (null, SamlReasons.DecryptionFailed);
        var keyMethod = SamlXml.Child(encryptedKey, XEnc, "EncryptionMethod");
        if (keyMethod?.GetAttribute("Algorithm") == Rsa15) return (null, SamlReasons.Rsa15Refused);
        if (keyMethod is null || Padding(keyMethod) is not { } padding) return (null, SamlReasons.KeyTransport);

        if (CipherValue(encryptedKey) is not { } wrappedKey || CipherValue(data) is not { } content) return (null, SamlReasons.DecryptionFailed);
        byte[]? contentKey = null;
        foreach (var key in keys)
        {
            try
            {
                var unwrapped = key.Decrypt(wrappedKey, padding);
                if (unwrapped.Length == keyLength)
                {
                    contentKey = unwrapped;
                    break;
                }
            }
            catch (CryptographicException)
            {
                // Encrypted to another key (the other of a rollover, or another connection's): try the next one.
            }
        }

        if (contentKey is null) return (null, SamlReasons.DecryptionFailed);
        try
        {
            var plaintext = contentAlgorithm is SamlXml.Aes128Gcm or SamlXml.Aes256Gcm ? DecryptGcm(contentKey, content) : DecryptCbc(contentKey, content);
            return plaintext is null ? (null, SamlReasons.DecryptionFailed) : Parse(encryptedAssertion, plaintext);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(contentKey);
        }
    }

    /// <summary>RSA-OAEP as .NET can do it: MGF1 with the same hash as the OAEP digest, no OAEPparams label.</summary>
    private static RSAEncryptionPadding? Padding(XmlElement method)
    {
        if (SamlXml.Child(method, XEnc, "OAEPparams") is not null) return null;
        var digest = SamlXml.Child(method, SamlXml.DSig, "DigestMethod")?.GetAttribute("Algorithm") ?? Sha1;
        return method.GetAttribute("Algorithm") switch
        {
            // XML Encryption 1.0 section 5.4.2: MGF1 with SHA-1, whatever the digest.
            SamlXml.RsaOaep when digest == Sha1 => RSAEncryptionPadding.OaepSHA1,
            SamlXml.RsaOaep11 => (SamlXml.Child(method, XEnc11, "MGF")?.GetAttribute("Algorithm") ?? Mgf1Sha1, digest) switch
            {
                (Mgf1Sha1, Sha1) => RSAEncryptionPadding.OaepSHA1,
                (Mgf1Sha256, Sha256) => RSAEncryptionPadding.OaepSHA256,
                _ => null,
            },
            _ => null,
        };
    }

    private static byte[]? CipherValue(XmlElement encrypted)
    {
        if (SamlXml.Child(encrypted, XEnc, "CipherData") is not { } cipherData || SamlXml.Children(cipherData, XEnc, "CipherValue").ToList() is not [var value]) return null;
        try
        {
            return SamlXml.PlainText(value) is { } text ? Convert.FromBase64String(text) : null;
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>XML Encryption 1.1 section 5.2.4: a 96-bit IV, the ciphertext, a 128-bit tag.</summary>
    private static byte[]? DecryptGcm(byte[] key, byte[] content)
    {
        if (content.Length < 12 + 16) return null;
        var plaintext = new byte[content.Length - 28];
        try
        {
            using var aes = new AesGcm(key, 16);
            aes.Decrypt(content.AsSpan(0, 12), content.AsSpan(12, plaintext.Length), content.AsSpan(content.Length - 16), plaintext);
            return plaintext;
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>XML Encryption section 5.2.2: a 128-bit IV, then the ciphertext with the specification's padding (its last byte is the pad's length).</summary>
    private static byte[]? DecryptCbc(byte[] key, byte[] content)
    {
        if (content.Length < 32 || content.Length % 16 != 0) return null;
        try
        {
            using var aes = Aes.Create();
            aes.Key = key;
            return aes.DecryptCbc(content.AsSpan(16), content.AsSpan(0, 16), PaddingMode.ISO10126);
        }
        catch (CryptographicException)
        {
            return null;
        }
    }

    /// <summary>
    /// The plaintext as the one Assertion element it must be, parsed with the namespaces in scope at the
    /// EncryptedAssertion (XML Encryption section 4.5) by the same reader as responses: no DTD, no entities.
    /// </summary>
    private static (XmlElement? Assertion, string? Reason) Parse(XmlElement encryptedAssertion, byte[] plaintext)
    {
        var document = encryptedAssertion.OwnerDocument;
        var namespaces = new XmlNamespaceManager(document.NameTable);
        for (var node = encryptedAssertion as XmlNode; node is XmlElement element; node = node.ParentNode)
        {
            foreach (XmlAttribute attribute in element.Attributes)
            {
                if (attribute.NamespaceURI != "http://www.w3.org/2000/xmlns/") continue;
                var prefix = attribute.Prefix == "xmlns" ? attribute.LocalName : "";
                if (namespaces.LookupNamespace(prefix) is null || !namespaces.HasNamespace(prefix)) namespaces.AddNamespace(prefix, attribute.Value);
            }
        }

        var settings = new XmlReaderSettings
        {
            ConformanceLevel = ConformanceLevel.Fragment,
            DtdProcessing = DtdProcessing.Prohibit,
            XmlResolver = null,
            MaxCharactersFromEntities = 0,
            MaxCharactersInDocument = 1024 * 1024,
        };
        var nodes = new List<XmlNode>();
        try
        {
            using var reader = XmlReader.Create(new MemoryStream(plaintext, writable: false), settings, new XmlParserContext(document.NameTable, namespaces, null, XmlSpace.Preserve));
            reader.MoveToContent();
            while (!reader.EOF)
            {
                if (document.ReadNode(reader) is not { } node) break;
                nodes.Add(node);
            }
        }
        catch (XmlException)
        {
            return (null, SamlReasons.DecryptionFailed);
        }

        var elements = nodes.OfType<XmlElement>().ToList();
        if (elements is not [var assertion] || nodes.Any(n => n is not XmlElement && n.NodeType is not (XmlNodeType.Whitespace or XmlNodeType.SignificantWhitespace or XmlNodeType.XmlDeclaration)))
        {
            return (null, SamlReasons.NotExactlyOneAssertion);
        }

        return assertion.NamespaceURI == SamlXml.Assertion && assertion.LocalName == "Assertion" ? (assertion, null) : (null, SamlReasons.NotExactlyOneAssertion);
    }
}
