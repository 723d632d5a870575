using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// Encrypts an assertion for the SP as an IdP does (XML Encryption 1.1, SAML core section 2.3.4), so that a test can
/// choose every algorithm and reshape the result: the content by AES-GCM or AES-CBC, the key by RSA-OAEP or RSA1_5.
/// (The real peer, npm samlify with xml-encryption, encrypts in the service tests; this one makes the hostile cases.)
/// </summary>
public static class SamlEncryption
{
    public const string XEnc = "http://www.w3.org/2001/04/xmlenc#";
    public const string Aes128Gcm = "http://www.w3.org/2009/xmlenc11#aes128-gcm";
    public const string Aes256Gcm = "http://www.w3.org/2009/xmlenc11#aes256-gcm";
    public const string Aes128Cbc = "http://www.w3.org/2001/04/xmlenc#aes128-cbc";
    public const string Aes256Cbc = "http://www.w3.org/2001/04/xmlenc#aes256-cbc";
    public const string TripleDes = "http://www.w3.org/2001/04/xmlenc#tripledes-cbc";
    public const string RsaOaep = "http://www.w3.org/2001/04/xmlenc#rsa-oaep-mgf1p";
    public const string RsaOaep11Sha256 = "http://www.w3.org/2009/xmlenc11#rsa-oaep";
    public const string Rsa15 = "http://www.w3.org/2001/04/xmlenc#rsa-1_5";

    /// <summary>Replaces <paramref name="assertion"/> (signed or not, as it is) by an EncryptedAssertion of it.</summary>
    public static XmlElement EncryptInPlace(XmlElement assertion, X509Certificate2 to, string data = Aes256Gcm, string key = RsaOaep, bool keyBeside = false)
    {
        var encrypted = EncryptedAssertion(assertion.OwnerDocument, System.Text.Encoding.UTF8.GetBytes(assertion.OuterXml), to, data, key, keyBeside);
        assertion.ParentNode!.ReplaceChild(encrypted, assertion);
        return encrypted;
    }

    /// <summary>An EncryptedAssertion element of <paramref name="document"/> holding <paramref name="plaintext"/> (any bytes: a hostile test chooses them).</summary>
    public static XmlElement EncryptedAssertion(XmlDocument document, byte[] plaintext, X509Certificate2 to, string data = Aes256Gcm, string key = RsaOaep, bool keyBeside = false)
    {
        var contentKey = RandomNumberGenerator.GetBytes(data is Aes128Gcm or Aes128Cbc ? 16 : data == TripleDes ? 24 : 32);
        byte[] content;
        if (data is Aes128Gcm or Aes256Gcm)
        {
            content = new byte[12 + plaintext.Length + 16];
            RandomNumberGenerator.Fill(content.AsSpan(0, 12));
            using var gcm = new AesGcm(contentKey, 16);
            gcm.Encrypt(content.AsSpan(0, 12), plaintext, content.AsSpan(12, plaintext.Length), content.AsSpan(12 + plaintext.Length));
        }
        else
        {
            using SymmetricAlgorithm cipher = data == TripleDes ? TripleDES.Create() : Aes.Create();
            cipher.Key = contentKey;
            var iv = RandomNumberGenerator.GetBytes(cipher.BlockSize / 8);
            content = [.. iv, .. cipher.EncryptCbc(plaintext, iv, PaddingMode.ISO10126)];
        }

        using var rsa = to.GetRSAPublicKey()!;
        var wrapped = rsa.Encrypt(contentKey, key switch
        {
            Rsa15 => RSAEncryptionPadding.Pkcs1,
            RsaOaep11Sha256 => RSAEncryptionPadding.OaepSHA256,
            _ => RSAEncryptionPadding.OaepSHA1,
        });
        var keyMethod = key == RsaOaep11Sha256
            ? $"""<xenc:EncryptionMethod Algorithm="{key}"><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><xenc11:MGF xmlns:xenc11="http://www.w3.org/2009/xmlenc11#" Algorithm="http://www.w3.org/2009/xmlenc11#mgf1sha256"/></xenc:EncryptionMethod>"""
            : $"""<xenc:EncryptionMethod Algorithm="{key}"/>""";
        var encryptedKey = $"""<xenc:EncryptedKey>{keyMethod}<xenc:CipherData><xenc:CipherValue>{Convert.ToBase64String(wrapped)}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedKey>""";
        var xml = $"""<saml:EncryptedAssertion xmlns:saml="{SamlTestIdp.Assertion}" xmlns:xenc="{XEnc}" xmlns:ds="{SamlTestIdp.DSig}"><xenc:EncryptedData Type="http://www.w3.org/2001/04/xmlenc#Element"><xenc:EncryptionMethod Algorithm="{data}"/>{(keyBeside ? "" : $"<ds:KeyInfo>{encryptedKey}</ds:KeyInfo>")}<xenc:CipherData><xenc:CipherValue>{Convert.ToBase64String(content)}</xenc:CipherValue></xenc:CipherData></xenc:EncryptedData>{(keyBeside ? encryptedKey : "")}</saml:EncryptedAssertion>""";
        var fragment = new XmlDocument { PreserveWhitespace = true };
        fragment.LoadXml(xml);
        return (XmlElement)document.ImportNode(fragment.DocumentElement!, true);
    }
}
