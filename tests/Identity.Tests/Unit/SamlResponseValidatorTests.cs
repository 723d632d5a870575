using System.Security.Cryptography.X509Certificates;
using System.Xml;
using Platform.Identity.Sso.Saml;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Unit;

/// <summary>The SAML response checks without a database: what is accepted, and every hostile response refused with its own reason.</summary>
public sealed class SamlResponseValidatorTests : IDisposable
{
    private const string Sp = "https://sp.example/sso/saml/sso_0123";
    private const string Acs = Sp + "/acs";
    private readonly SamlTestIdp idp = new();
    private readonly DateTimeOffset now = DateTimeOffset.UtcNow;

    public void Dispose() => idp.Dispose();

    private SamlAnswer Answer(string email = "alice@corp.test") => new(email, Sp, Acs, "_req1", now);

    private SamlExpectations Expect(params X509Certificate2[] certificates) =>
        new(Sp, Acs, idp.EntityId, certificates.Length == 0 ? [idp.Certificate] : certificates, now, TimeSpan.FromMinutes(2));

    public static TheoryData<string, bool> Attacks()
    {
        var data = new TheoryData<string, bool>();
        foreach (var attack in SamlAttacks.All)
        {
            data.Add(attack.Name, true);
            data.Add(attack.Name, false);
        }

        return data;
    }

    /// <summary>
    /// Where assertions must be signed (the default; the SP metadata's WantAssertionsSigned="true") the assertion's
    /// own signature is required, the Response's beside it allowed; where the connection does not want that, a
    /// Response signature alone suffices.
    /// </summary>
    [Theory]
    [InlineData(true, false, true)]
    [InlineData(true, true, true)]
    [InlineData(true, false, false)]
    [InlineData(false, true, false)]
    [InlineData(true, true, false)]
    public void A_response_signed_on_the_assertion_or_both_is_accepted_and_on_the_response_alone_where_assertions_need_no_signature(bool signAssertion, bool signResponse,
        bool wantAssertionsSigned)
    {
        var encoded = SamlTestIdp.Encode(idp.Response(Answer() with { SignAssertion = signAssertion, SignResponse = signResponse }));
        var (assertion, reason) = SamlResponseValidator.Validate(encoded, Expect() with { WantAssertionsSigned = wantAssertionsSigned });
        Assert.Null(reason);
        Assert.Equal("alice@corp.test", assertion!.Email);
        Assert.Equal("alice@corp.test", assertion.NameId);
        Assert.Equal("_req1", assertion.InResponseTo);
    }

    [Fact]
    public void Where_assertions_must_be_signed_a_response_signature_alone_is_refused_after_it_is_verified()
    {
        var responseOnly = idp.Response(Answer() with { SignAssertion = false, SignResponse = true });
        Assert.Equal("saml-assertion-not-signed", SamlResponseValidator.Validate(SamlTestIdp.Encode(responseOnly), Expect()).Reason);
        // A forged Response signature is named as such, whatever the setting.
        using var other = new SamlTestIdp(idp.EntityId);
        var forged = idp.Response(Answer() with { SignAssertion = false, SignResponse = true }, other.Key, other.Certificate);
        Assert.Equal("saml-signature-invalid", SamlResponseValidator.Validate(SamlTestIdp.Encode(forged), Expect()).Reason);
        Assert.Equal("saml-signature-invalid", SamlResponseValidator.Validate(SamlTestIdp.Encode(forged), Expect() with { WantAssertionsSigned = false }).Reason);
    }

    [Theory]
    [MemberData(nameof(Attacks))]
    public void A_hostile_response_is_refused_with_its_reason(string name, bool wantAssertionsSigned)
    {
        var attack = SamlAttacks.All.Single(a => a.Name == name);
        var (assertion, reason) = SamlResponseValidator.Validate(attack.Build(idp, Answer("mallory@corp.test"), "victim@corp.test"),
            Expect() with { WantAssertionsSigned = wantAssertionsSigned });
        Assert.Null(assertion);
        Assert.Equal(attack.Reason, reason);
    }

    /// <summary>
    /// Beneath the shape checks, the signature itself cannot be moved: verified over the element a careless service
    /// would read, a wrapped signature's reference resolves to nothing else in the document.
    /// </summary>
    [Theory]
    [InlineData("XSW1", "saml-signature-malformed")]
    [InlineData("XSW2", "saml-reference-not-to-signed-element")]
    [InlineData("XSW5", "saml-reference-not-to-signed-element")]
    [InlineData("XSW6", "saml-signature-malformed")]
    [InlineData("XSW8", "saml-reference-not-to-signed-element")]
    public void A_wrapped_signature_does_not_verify_the_element_that_carries_it(string name, string expected)
    {
        var encoded = SamlAttacks.All.Single(a => a.Name == name).Build(idp, Answer("mallory@corp.test"), "victim@corp.test");
        var document = new XmlDocument { PreserveWhitespace = true };
        document.LoadXml(System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(encoded)));
        var root = document.DocumentElement!;
        static XmlElement Child(XmlElement e, string name) => e.ChildNodes.OfType<XmlElement>().First(c => c.LocalName == name);
        var signed = name is "XSW1" or "XSW2" ? root : Child(root, "Assertion");
        var signature = Child(signed, "Signature");
        // The identity a careless service provider would read: the element's own assertion, which names the victim.
        var read = name is "XSW1" or "XSW2" ? Child(signed, "Assertion") : signed;
        Assert.Equal("victim@corp.test", Child(Child(read, "Subject"), "NameID").InnerText);
        // XSW1 and XSW6 put an element inside ds:Signature itself, which XML-DSig's schema does not allow.
        Assert.Equal(expected, SamlSignature.Verify(signed, signature, [idp.Certificate]));
    }

    [Fact]
    public void During_a_rollover_either_configured_certificate_verifies_and_no_other_does()
    {
        using var next = new SamlTestIdp();
        var encoded = SamlTestIdp.Encode(idp.Response(Answer(), next.Key, next.Certificate));
        Assert.Null(SamlResponseValidator.Validate(encoded, Expect(idp.Certificate, next.Certificate)).Reason);
        Assert.Equal("saml-signature-invalid", SamlResponseValidator.Validate(encoded, Expect(idp.Certificate)).Reason);
    }

    [Fact]
    public void Identity_is_read_from_the_email_attribute_when_there_is_one_and_must_be_plain_text()
    {
        var document = idp.Response(Answer() with { SignAssertion = false });
        var assertion = SamlAttacks.AssertionOf(document.DocumentElement!);
        var statement = document.CreateElement("saml", "AttributeStatement", SamlTestIdp.Assertion);
        statement.InnerXml = $"<saml:Attribute xmlns:saml=\"{SamlTestIdp.Assertion}\" Name=\"email\"><saml:AttributeValue>bob@corp.test</saml:AttributeValue></saml:Attribute>";
        assertion.AppendChild(statement);
        SamlTestIdp.Sign(assertion, Answer(), idp.Key, idp.Certificate);
        Assert.Equal("bob@corp.test", SamlResponseValidator.Validate(SamlTestIdp.Encode(document), Expect()).Assertion!.Email);
    }

    [Fact]
    public void Unsolicited_responses_carry_no_request_and_a_response_naming_another_request_than_its_assertion_is_refused()
    {
        var unsolicited = SamlResponseValidator.Validate(SamlTestIdp.Encode(idp.Response(Answer() with { InResponseTo = null })), Expect());
        Assert.Null(unsolicited.Reason);
        Assert.Null(unsolicited.Assertion!.InResponseTo);

        var document = idp.Response(Answer());
        document.DocumentElement!.SetAttribute("InResponseTo", "_another");
        Assert.Equal("saml-in-response-to-mismatch", SamlResponseValidator.Validate(SamlTestIdp.Encode(document), Expect()).Reason);
    }

    [Fact]
    public void Metadata_gives_the_entity_id_sso_url_and_signing_certificates()
    {
        using var next = new SamlTestIdp();
        var (metadata, error) = SamlMetadata.ParseIdp(idp.Metadata(next.CertificateBase64), now, allowLoopbackHttp: false);
        Assert.Null(error);
        Assert.Equal(idp.EntityId, metadata!.EntityId);
        Assert.Equal(idp.SsoUrl, metadata.SsoUrl);
        Assert.Equal(2, metadata.Certificates.Count);
    }

    [Fact]
    public void Metadata_that_is_malformed_has_a_DTD_an_expired_or_non_signing_certificate_or_an_http_sso_url_is_refused()
    {
        Assert.NotNull(SamlMetadata.ParseIdp("<md:EntityDescriptor", now, false).Error);
        Assert.Contains("DTD", SamlMetadata.ParseIdp("<!DOCTYPE x [<!ENTITY a \"b\">]>" + idp.Metadata().Trim(), now, false).Error, StringComparison.Ordinal);
        using var expired = new SamlTestIdp(notAfter: now.AddDays(-1), notBefore: now.AddDays(-60));
        Assert.Contains("expired", SamlMetadata.ParseIdp(expired.Metadata(), now, false).Error, StringComparison.Ordinal);
        using var encryption = new SamlTestIdp(keyUsage: X509KeyUsageFlags.KeyEncipherment);
        Assert.Contains("not a signing certificate", SamlMetadata.ParseIdp(encryption.Metadata(), now, false).Error, StringComparison.Ordinal);
        using var http = new SamlTestIdp(ssoUrl: "http://idp.example.test/sso");
        Assert.Contains("HTTP-Redirect", SamlMetadata.ParseIdp(http.Metadata(), now, false).Error, StringComparison.Ordinal);
        Assert.Contains("no signing certificate", SamlMetadata.ParseIdp(idp.Metadata().Replace("use=\"signing\"", "use=\"encryption\"", StringComparison.Ordinal), now, false).Error,
            StringComparison.Ordinal);
    }
}
