using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>One hostile response: its name, the reason the service must give, and how it is made from a valid answer.</summary>
public sealed record SamlAttack(string Name, string Reason, Func<SamlTestIdp, SamlAnswer, string, string> Build)
{
    public override string ToString() => Name;
}

/// <summary>
/// The hostile responses of issue 18 item 4. XSW1–XSW8 are ported from the published catalogue (Somorovsky et al.,
/// "On Breaking SAML: Be Whoever You Want to Be", USENIX Security 2012, as the SAML Raider tool applies them): the
/// legitimately signed element stays in the document for the signature to find, and an evil copy naming the victim
/// sits where a careless service provider reads the identity.
/// </summary>
public static class SamlAttacks
{
    private const string Signature = "Signature";

    public static readonly IReadOnlyList<SamlAttack> All =
    [
        new("XSW1", "saml-not-exactly-one-assertion", (idp, a, victim) => Xsw1(idp, a, victim, beforeSignature: false)),
        new("XSW2", "saml-not-exactly-one-assertion", (idp, a, victim) => Xsw1(idp, a, victim, beforeSignature: true)),
        new("XSW3", "saml-not-exactly-one-assertion", Xsw3),
        new("XSW4", "saml-not-exactly-one-assertion", Xsw4),
        new("XSW5", "saml-not-exactly-one-assertion", Xsw5),
        new("XSW6", "saml-not-exactly-one-assertion", Xsw6),
        new("XSW7", "saml-not-exactly-one-assertion", Xsw7),
        new("XSW8", "saml-not-exactly-one-assertion", Xsw8),
        new("comment injection in NameID", "saml-identity-not-plain-text", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, NameIdXml = victim.Replace("@", "@evil.com<!---->.", StringComparison.Ordinal) }))),
        new("missing signature", "saml-missing-signature", (idp, a, victim) => SamlTestIdp.Encode(idp.Response(a with { Email = victim, SignAssertion = false }))),
        new("second signature", "saml-more-than-one-signature", SecondSignature),
        new("unsigned assertion inside a signed response", "saml-signature-invalid", UnsignedAssertionInSignedResponse),
        new("tampered signed assertion", "saml-signature-invalid", (idp, a, victim) =>
        {
            var document = idp.Response(a);
            NameId(document.DocumentElement!).InnerText = victim;
            return SamlTestIdp.Encode(document);
        }),
        new("signature by a key in KeyInfo that is not configured", "saml-signature-invalid", (idp, a, victim) =>
        {
            using var other = new SamlTestIdp(idp.EntityId);
            return SamlTestIdp.Encode(idp.Response(a with { Email = victim }, other.Key, other.Certificate));
        }),
        new("RSA-SHA1 signature", "saml-signature-algorithm-not-allowed", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, SignatureMethod = SignedXml.XmlDsigRSASHA1Url, DigestMethod = SignedXml.XmlDsigSHA1Url }))),
        new("SHA-1 digest", "saml-digest-algorithm-not-allowed", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, DigestMethod = SignedXml.XmlDsigSHA1Url }))),
        new("inclusive c14n", "saml-canonicalization-not-allowed", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, Canonicalization = SignedXml.XmlDsigC14NTransformUrl }))),
        new("exclusive c14n with comments", "saml-canonicalization-not-allowed", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, Canonicalization = SignedXml.XmlDsigExcC14NWithCommentsTransformUrl }))),
        new("inclusive c14n transform", "saml-transform-not-allowed", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, ExtraTransform = new XmlDsigC14NTransform() }))),
        new("expired", "saml-expired", (idp, a, victim) => SamlTestIdp.Encode(idp.Response(a with { Email = victim, Now = a.Now - TimeSpan.FromMinutes(15) }))),
        new("NotBefore in the future", "saml-not-yet-valid", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, NotBeforeOffset = TimeSpan.FromMinutes(10), Lifetime = TimeSpan.FromMinutes(20) }))),
        new("wrong audience", "saml-wrong-audience", (idp, a, victim) => SamlTestIdp.Encode(idp.Response(a with { Email = victim, Audience = "https://other-sp.example/saml" }))),
        new("wrong Destination", "saml-wrong-destination", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, Destination = "https://other-sp.example/acs", SignResponse = true }))),
        new("wrong Recipient", "saml-wrong-recipient", (idp, a, victim) => SamlTestIdp.Encode(idp.Response(a with { Email = victim, Recipient = "https://other-sp.example/acs" }))),
        new("wrong issuer", "saml-wrong-issuer", (idp, a, victim) => SamlTestIdp.Encode(idp.Response(a with { Email = victim, Issuer = "https://other-idp.example" }))),
        new("status not Success", "saml-status-not-success", (idp, a, victim) =>
            SamlTestIdp.Encode(idp.Response(a with { Email = victim, Status = "urn:oasis:names:tc:SAML:2.0:status:Responder" }))),
        new("DTD with an external entity", "saml-dtd-refused", (idp, a, victim) =>
        {
            var xml = idp.Response(a with { Email = victim }).OuterXml;
            return SamlTestIdp.Encode("<?xml version=\"1.0\"?><!DOCTYPE samlp:Response [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>" + xml.Replace(victim, "&xxe;", StringComparison.Ordinal));
        }),
        // Around the encryption: an EncryptedAssertion beside a signed plaintext one (which of the two is read?).
        new("EncryptedAssertion beside a signed assertion", "saml-not-exactly-one-assertion", (idp, a, victim) =>
        {
            var document = idp.Response(a with { Email = victim });
            var response = document.DocumentElement!;
            response.AppendChild(document.CreateElement("saml", "EncryptedAssertion", SamlTestIdp.Assertion));
            return SamlTestIdp.Encode(document);
        }),
    ];

    public static XmlElement AssertionOf(XmlElement parent) => parent.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "Assertion" && e.NamespaceURI == SamlTestIdp.Assertion);

    public static XmlElement NameId(XmlElement within) => (XmlElement)within.GetElementsByTagName("NameID", SamlTestIdp.Assertion)[0]!;

    private static XmlElement? SignatureOf(XmlElement element) => element.ChildNodes.OfType<XmlElement>().SingleOrDefault(e => e.LocalName == Signature && e.NamespaceURI == SamlTestIdp.DSig);

    /// <summary>A copy of the element without its signature, naming the victim, with a new ID.</summary>
    private static XmlElement Evil(XmlElement element, string victim, bool keepSignature = false)
    {
        var evil = (XmlElement)element.CloneNode(true);
        evil.SetAttribute("ID", "_evil" + Guid.NewGuid().ToString("n"));
        if (!keepSignature && SignatureOf(evil) is { } signature) evil.RemoveChild(signature);
        NameId(evil).InnerText = victim;
        return evil;
    }

    private static XmlElement WithoutSignature(XmlElement element)
    {
        var copy = (XmlElement)element.CloneNode(true);
        if (SignatureOf(copy) is { } signature) copy.RemoveChild(signature);
        return copy;
    }

    /// <summary>XSW1/XSW2 (Response signature): an evil Response is the root; the original Response, unsigned, sits inside (XSW1) or before (XSW2) the signature.</summary>
    private static string Xsw1(SamlTestIdp idp, SamlAnswer a, string victim, bool beforeSignature)
    {
        var document = idp.Response(a with { SignResponse = true, SignAssertion = false });
        var original = document.DocumentElement!;
        var evil = Evil(original, victim, keepSignature: true);
        var signature = SignatureOf(evil)!;
        var copy = WithoutSignature(original);
        if (beforeSignature) evil.InsertBefore(copy, signature);
        else signature.AppendChild(copy);
        document.ReplaceChild(evil, original);
        return SamlTestIdp.Encode(document);
    }

    /// <summary>XSW3: an evil assertion before the signed one, as its sibling.</summary>
    private static string Xsw3(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a);
        var assertion = AssertionOf(document.DocumentElement!);
        document.DocumentElement!.InsertBefore(Evil(assertion, victim), assertion);
        return SamlTestIdp.Encode(document);
    }

    /// <summary>XSW4: the signed assertion wrapped inside an evil one.</summary>
    private static string Xsw4(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a);
        var response = document.DocumentElement!;
        var assertion = AssertionOf(response);
        var evil = Evil(assertion, victim);
        response.ReplaceChild(evil, assertion);
        evil.AppendChild(assertion);
        return SamlTestIdp.Encode(document);
    }

    /// <summary>XSW5: the evil assertion keeps the signature; an unsigned copy of the original is appended to the Response.</summary>
    private static string Xsw5(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a);
        var response = document.DocumentElement!;
        var assertion = AssertionOf(response);
        response.ReplaceChild(Evil(assertion, victim, keepSignature: true), assertion);
        response.AppendChild(WithoutSignature(assertion));
        return SamlTestIdp.Encode(document);
    }

    /// <summary>XSW6: the evil assertion keeps the signature, and the original (unsigned) sits inside that signature.</summary>
    private static string Xsw6(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a);
        var response = document.DocumentElement!;
        var assertion = AssertionOf(response);
        var evil = Evil(assertion, victim, keepSignature: true);
        SignatureOf(evil)!.AppendChild(WithoutSignature(assertion));
        response.ReplaceChild(evil, assertion);
        return SamlTestIdp.Encode(document);
    }

    /// <summary>XSW7: the signed assertion moved into an Extensions element; an unsigned evil assertion takes its place.</summary>
    private static string Xsw7(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a);
        var response = document.DocumentElement!;
        var assertion = AssertionOf(response);
        var evil = Evil(assertion, victim);
        var extensions = document.CreateElement("samlp", "Extensions", SamlTestIdp.Protocol);
        response.ReplaceChild(evil, assertion);
        extensions.AppendChild(assertion);
        response.InsertBefore(extensions, evil);
        return SamlTestIdp.Encode(document);
    }

    /// <summary>XSW8: the evil assertion keeps the signature; the original (unsigned) sits in a ds:Object of that signature.</summary>
    private static string Xsw8(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a);
        var response = document.DocumentElement!;
        var assertion = AssertionOf(response);
        var evil = Evil(assertion, victim, keepSignature: true);
        var obj = document.CreateElement("ds", "Object", SamlTestIdp.DSig);
        obj.AppendChild(WithoutSignature(assertion));
        SignatureOf(evil)!.AppendChild(obj);
        response.ReplaceChild(evil, assertion);
        return SamlTestIdp.Encode(document);
    }

    private static string SecondSignature(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a);
        var assertion = AssertionOf(document.DocumentElement!);
        var signature = SignatureOf(assertion)!;
        assertion.InsertAfter(signature.CloneNode(true), signature);
        return SamlTestIdp.Encode(document);
    }

    /// <summary>The IdP signed a Response without an assertion; an unsigned assertion naming the victim is slipped in afterwards.</summary>
    private static string UnsignedAssertionInSignedResponse(SamlTestIdp idp, SamlAnswer a, string victim)
    {
        var document = idp.Response(a with { Email = victim, SignAssertion = false });
        var response = document.DocumentElement!;
        var assertion = AssertionOf(response);
        response.RemoveChild(assertion);
        SamlTestIdp.Sign(response, a, idp.Key, idp.Certificate);
        response.AppendChild(assertion);
        return SamlTestIdp.Encode(document);
    }
}
