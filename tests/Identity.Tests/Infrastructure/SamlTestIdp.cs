using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>What a scripted IdP puts in one response: each field can be made hostile by a test.</summary>
public sealed record SamlAnswer(string Email, string Audience, string Acs, string? InResponseTo, DateTimeOffset Now)
{
    public string Issuer { get; init; } = SamlTestIdp.DefaultEntityId;
    public string? Destination { get; init; }
    public string? Recipient { get; init; }
    public string Status { get; init; } = "urn:oasis:names:tc:SAML:2.0:status:Success";
    public TimeSpan NotBeforeOffset { get; init; } = TimeSpan.FromMinutes(-1);
    public TimeSpan Lifetime { get; init; } = TimeSpan.FromMinutes(5);
    public string AssertionId { get; init; } = "_a" + Guid.NewGuid().ToString("n");
    public string ResponseId { get; init; } = "_r" + Guid.NewGuid().ToString("n");
    /// <summary>Raw XML inside NameID (comment injection); the email otherwise.</summary>
    public string? NameIdXml { get; init; }
    public bool SignResponse { get; init; }
    public bool SignAssertion { get; init; } = true;
    public string SignatureMethod { get; init; } = SignedXml.XmlDsigRSASHA256Url;
    public string DigestMethod { get; init; } = SignedXml.XmlDsigSHA256Url;
    public string Canonicalization { get; init; } = SignedXml.XmlDsigExcC14NTransformUrl;
    public Transform? ExtraTransform { get; init; }
    /// <summary>An AttributeStatement after the AuthnStatement: each attribute's name and values (raw XML, so a value can carry a comment).</summary>
    public IReadOnlyList<(string Name, string[] Values)>? Attributes { get; init; }
}

/// <summary>
/// A scripted SAML IdP for the hostile cases: its own RSA-2048 key and self-signed certificate, metadata, and
/// responses signed with .NET's SignedXml (the service's verifier is the code under test, not the signer), which a
/// test then reshapes (the published XML signature wrapping attacks, a second signature, a DTD, ...).
/// </summary>
public sealed class SamlTestIdp : IDisposable
{
    public const string DefaultEntityId = "https://idp.example.test/saml";
    public const string Protocol = "urn:oasis:names:tc:SAML:2.0:protocol";
    public const string Assertion = "urn:oasis:names:tc:SAML:2.0:assertion";
    public const string DSig = "http://www.w3.org/2000/09/xmldsig#";

    public RSA Key { get; } = TestRsaKeys.Rent();

    public X509Certificate2 Certificate { get; }

    public string EntityId { get; }

    public string SsoUrl { get; }

    /// <summary>What the metadata's WantAuthnRequestsSigned says.</summary>
    public bool WantAuthnRequestsSigned { get; init; }

    public SamlTestIdp(string entityId = DefaultEntityId, string ssoUrl = "https://idp.example.test/sso", DateTimeOffset? notAfter = null,
        X509KeyUsageFlags? keyUsage = null, DateTimeOffset? notBefore = null)
    {
        EntityId = entityId;
        SsoUrl = ssoUrl;
        var request = new CertificateRequest($"CN=Test IdP {Guid.NewGuid():n}", Key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        if (keyUsage is { } usage) request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        var now = DateTimeOffset.UtcNow;
        Certificate = request.CreateSelfSigned(notBefore ?? now.AddDays(-30), notAfter ?? now.AddYears(2));
    }

    public string CertificateBase64 => Convert.ToBase64String(Certificate.RawData);

    public string Metadata(params string[] extraCertificates) => $"""
        <?xml version="1.0"?>
        <md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="{DSig}" entityID="{EntityId}">
          <md:IDPSSODescriptor WantAuthnRequestsSigned="{(WantAuthnRequestsSigned ? "true" : "false")}" protocolSupportEnumeration="{Protocol}">
            {string.Concat(new[] { CertificateBase64 }.Concat(extraCertificates).Select(c =>
                $"<md:KeyDescriptor use=\"signing\"><ds:KeyInfo><ds:X509Data><ds:X509Certificate>{c}</ds:X509Certificate></ds:X509Data></ds:KeyInfo></md:KeyDescriptor>"))}
            <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SsoUrl}"/>
            <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="{SsoUrl}"/>
          </md:IDPSSODescriptor>
        </md:EntityDescriptor>
        """;

    /// <summary>The response as a document, signed as the answer asks (assertion first, then the response around it).</summary>
    public XmlDocument Response(SamlAnswer a, RSA? signWith = null, X509Certificate2? keyInfo = null)
    {
        static string T(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        var irt = a.InResponseTo is null ? "" : $" InResponseTo=\"{a.InResponseTo}\"";
        var attributes = a.Attributes is null ? "" : "<saml:AttributeStatement>" + string.Concat(a.Attributes.Select(attribute =>
            $"<saml:Attribute Name=\"{attribute.Name}\">{string.Concat(attribute.Values.Select(v => $"<saml:AttributeValue>{v}</saml:AttributeValue>"))}</saml:Attribute>")) + "</saml:AttributeStatement>";
        var xml = $"""
            <samlp:Response xmlns:samlp="{Protocol}" xmlns:saml="{Assertion}" ID="{a.ResponseId}" Version="2.0" IssueInstant="{T(a.Now)}" Destination="{a.Destination ?? a.Acs}"{irt}><saml:Issuer>{a.Issuer}</saml:Issuer><samlp:Status><samlp:StatusCode Value="{a.Status}"/></samlp:Status><saml:Assertion ID="{a.AssertionId}" Version="2.0" IssueInstant="{T(a.Now)}"><saml:Issuer>{a.Issuer}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{a.NameIdXml ?? a.Email}</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData{irt} NotOnOrAfter="{T(a.Now + a.Lifetime)}" Recipient="{a.Recipient ?? a.Acs}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{T(a.Now + a.NotBeforeOffset)}" NotOnOrAfter="{T(a.Now + a.Lifetime)}"><saml:AudienceRestriction><saml:Audience>{a.Audience}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{T(a.Now)}" SessionIndex="_s1"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement>{attributes}</saml:Assertion></samlp:Response>
            """;
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(xml);
        var response = document.DocumentElement!;
        var assertion = (XmlElement)response.GetElementsByTagName("Assertion", Assertion)[0]!;
        if (a.SignAssertion) Sign(assertion, a, signWith ?? Key, keyInfo ?? Certificate);
        if (a.SignResponse) Sign(response, a, signWith ?? Key, keyInfo ?? Certificate);
        return document;
    }

    /// <summary>Signs with Debian's xmlsec1 instead of .NET within the current test (<see cref="Xmlsec1"/>).</summary>
    public static readonly AsyncLocal<bool> WithXmlsec1 = new();

    /// <summary>An enveloped signature over <paramref name="element"/>, placed after its Issuer (SAML core section 5.4.1).</summary>
    public static void Sign(XmlElement element, SamlAnswer a, RSA key, X509Certificate2 keyInfo)
    {
        if (WithXmlsec1.Value)
        {
            Xmlsec1.Sign(element, a, key, keyInfo);
            return;
        }

        var signed = new SignedXml(element.OwnerDocument) { SigningKey = key };
        signed.SignedInfo!.CanonicalizationMethod = a.Canonicalization;
        signed.SignedInfo.SignatureMethod = a.SignatureMethod;
        var reference = new Reference("#" + element.GetAttribute("ID")) { DigestMethod = a.DigestMethod };
        reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
        reference.AddTransform(a.ExtraTransform ?? new XmlDsigExcC14NTransform());
        signed.AddReference(reference);
        var info = new KeyInfo();
        info.AddClause(new KeyInfoX509Data(keyInfo));
        signed.KeyInfo = info;
        signed.ComputeSignature();
        var signature = element.OwnerDocument.ImportNode(signed.GetXml(), true);
        var issuer = element.GetElementsByTagName("Issuer", Assertion).Cast<XmlElement>().First(e => e.ParentNode == element);
        element.InsertAfter(signature, issuer);
    }

    public static string Encode(XmlDocument document) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(document.OuterXml));

    public static string Encode(string xml) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(xml));

    public void Dispose()
    {
        Certificate.Dispose();
        TestRsaKeys.Return(Key);
    }
}
