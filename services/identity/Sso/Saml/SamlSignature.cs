using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// Verifies one enveloped XML signature over one element (XML-DSig 1.0 as profiled by SAML 2.0 core section 5), and
/// nothing looser: exactly one Reference whose URI is "#" + the element's own ID (the reference cannot be resolved to
/// any other element of the document), exclusive canonicalization without comments, only the enveloped-signature
/// and exclusive-c14n transforms, RSA with SHA-256 or stronger, SHA-256 or stronger digests, and only the
/// configured certificates' keys (a KeyInfo in the message is never read).
/// </summary>
internal static class SamlSignature
{
    private static readonly HashSet<string> SignatureMethods = new(StringComparer.Ordinal)
    {
        SignedXml.XmlDsigRSASHA256Url, SignedXml.XmlDsigRSASHA384Url, SignedXml.XmlDsigRSASHA512Url,
    };

    private static readonly HashSet<string> DigestMethods = new(StringComparer.Ordinal)
    {
        SignedXml.XmlDsigSHA256Url, SignedXml.XmlDsigSHA384Url, SignedXml.XmlDsigSHA512Url,
    };

    /// <returns>null when the signature is valid, else the reason.</returns>
    public static string? Verify(XmlElement signed, XmlElement signature, IReadOnlyList<X509Certificate2> certificates)
    {
        var id = signed.GetAttribute("ID");
        if (id.Length == 0) return SamlReasons.Malformed;
        var xml = new PinnedSignedXml(signed);
        try
        {
            xml.LoadXml(signature);
        }
        catch (CryptographicException)
        {
            return SamlReasons.SignatureMalformed;
        }

        var info = xml.SignedInfo!;
        if (info.CanonicalizationMethod != SignedXml.XmlDsigExcC14NTransformUrl) return SamlReasons.Canonicalization;
        if (info.SignatureMethod is not { } method || !SignatureMethods.Contains(method)) return SamlReasons.SignatureAlgorithm;
        if (info.References.Count != 1 || info.References[0] is not Reference reference) return SamlReasons.NotOneReference;
        if (reference.Uri != "#" + id) return SamlReasons.ReferenceNotToSignedElement;
        if (!DigestMethods.Contains(reference.DigestMethod)) return SamlReasons.DigestAlgorithm;
        foreach (Transform transform in reference.TransformChain)
        {
            if (transform.Algorithm is not (SignedXml.XmlDsigEnvelopedSignatureTransformUrl or SignedXml.XmlDsigExcC14NTransformUrl)) return SamlReasons.Transform;
        }

        foreach (var certificate in certificates)
        {
            using var key = certificate.GetRSAPublicKey();
            try
            {
                if (key is not null && xml.CheckSignature(key)) return null;
            }
            catch (CryptographicException)
            {
                return SamlReasons.SignatureMalformed;
            }
        }

        return SamlReasons.SignatureInvalid;
    }

    /// <summary>Resolves a reference only to the element being verified: XML signature wrapping (a second element with the same ID elsewhere) finds nothing.</summary>
    private sealed class PinnedSignedXml(XmlElement signed) : SignedXml(signed.OwnerDocument)
    {
        public override XmlElement? GetIdElement(XmlDocument? document, string idValue) =>
            signed.GetAttribute("ID") == idValue ? signed : null;
    }
}
