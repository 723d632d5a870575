using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using Platform.Identity.Sso.Saml;
using Platform.Identity.Tests.Infrastructure;

namespace Platform.Identity.Tests.Unit;

/// <summary>
/// EncryptedAssertion at the validator (issue 18 item 2): every content and key-transport algorithm the SP metadata
/// offers decrypts, and the decrypted assertion then meets every existing check; RSA1_5, other algorithms, another
/// connection's key, a tampered ciphertext, an unsigned encrypted assertion (even in a signed response, unless the
/// connection does not want assertions signed) and the signature-wrapping variants inside and around the encryption
/// are refused with their reason.
/// </summary>
public sealed class SamlEncryptedAssertionTests : IDisposable
{
    private const string Sp = "https://sp.example/sso/saml/sso_0123";
    private const string Acs = Sp + "/acs";
    private readonly SamlTestIdp idp = new();
    private readonly DateTimeOffset now = DateTimeOffset.UtcNow;
    private readonly (RSA Key, X509Certificate2 Certificate) current = SpKey();
    private readonly (RSA Key, X509Certificate2 Certificate) next = SpKey();
    private readonly (RSA Key, X509Certificate2 Certificate) otherConnection = SpKey();

    public void Dispose()
    {
        idp.Dispose();
        foreach (var (key, certificate) in (IEnumerable<(RSA, X509Certificate2)>)[current, next, otherConnection])
        {
            TestRsaKeys.Return(key);
            certificate.Dispose();
        }
    }

    private static (RSA, X509Certificate2) SpKey()
    {
        var rsa = TestRsaKeys.Rent();
        var request = new CertificateRequest("CN=SP encryption", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        return (rsa, request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddYears(1)));
    }

    private SamlAnswer Answer(string email = "alice@corp.test") => new(email, Sp, Acs, "_req1", now);

    private (SamlAssertion? Assertion, string? Reason) Validate(XmlDocument document, params RSA[] keys) => Validate(document, wantAssertionsSigned: true, keys);

    private (SamlAssertion? Assertion, string? Reason) Validate(XmlDocument document, bool wantAssertionsSigned, params RSA[] keys) =>
        SamlResponseValidator.Validate(SamlTestIdp.Encode(document),
            new SamlExpectations(Sp, Acs, idp.EntityId, [idp.Certificate], now, TimeSpan.FromMinutes(2), keys.Length == 0 ? [current.Key, next.Key] : keys, wantAssertionsSigned));

    /// <summary>A response whose signed assertion is encrypted to <paramref name="to"/>, the response then signed too if asked (encrypt, then sign).</summary>
    private XmlDocument Encrypted(SamlAnswer answer, X509Certificate2 to, string data = SamlEncryption.Aes256Gcm, string key = SamlEncryption.RsaOaep, bool signResponse = false,
        bool keyBeside = false)
    {
        var document = idp.Response(answer with { SignResponse = false });
        SamlEncryption.EncryptInPlace(SamlAttacks.AssertionOf(document.DocumentElement!), to, data, key, keyBeside);
        if (signResponse) SamlTestIdp.Sign(document.DocumentElement!, answer, idp.Key, idp.Certificate);
        return document;
    }

    [Theory]
    [InlineData(SamlEncryption.Aes128Gcm, SamlEncryption.RsaOaep, false)]
    [InlineData(SamlEncryption.Aes256Gcm, SamlEncryption.RsaOaep, true)]
    [InlineData(SamlEncryption.Aes128Cbc, SamlEncryption.RsaOaep, false)]
    [InlineData(SamlEncryption.Aes256Cbc, SamlEncryption.RsaOaep11Sha256, true)]
    [InlineData(SamlEncryption.Aes256Gcm, SamlEncryption.RsaOaep11Sha256, false)]
    public void An_encrypted_signed_assertion_decrypts_and_passes_every_check(string data, string key, bool signResponse)
    {
        var (assertion, reason) = Validate(Encrypted(Answer(), current.Certificate, data, key, signResponse));
        Assert.Null(reason);
        Assert.Equal("alice@corp.test", assertion!.Email);
        Assert.Equal("_req1", assertion.InResponseTo);

        // The EncryptedKey may also sit beside the EncryptedData; and during a rollover the next key decrypts too.
        Assert.Null(Validate(Encrypted(Answer(), current.Certificate, data, key, signResponse, keyBeside: true)).Reason);
        Assert.Null(Validate(Encrypted(Answer(), next.Certificate, data, key, signResponse)).Reason);
    }

    [Fact]
    public void The_decrypted_assertion_meets_the_existing_checks()
    {
        Assert.Equal("saml-wrong-audience", Validate(Encrypted(Answer() with { Audience = "https://other.example/sp" }, current.Certificate)).Reason);
        Assert.Equal("saml-wrong-recipient", Validate(Encrypted(Answer() with { Recipient = "https://other.example/acs" }, current.Certificate)).Reason);
        Assert.Equal("saml-expired", Validate(Encrypted(Answer() with { Now = now.AddHours(-1) }, current.Certificate)).Reason);
        Assert.Equal("saml-identity-not-plain-text", Validate(Encrypted(Answer() with { NameIdXml = "victim@evil.com<!---->.corp.test" }, current.Certificate)).Reason);
        var otherRequest = Encrypted(Answer(), current.Certificate);
        otherRequest.DocumentElement!.SetAttribute("InResponseTo", "_other");
        Assert.Equal("saml-in-response-to-mismatch", Validate(otherRequest).Reason);
    }

    [Fact]
    public void RSA1_5_key_transport_and_other_algorithms_are_refused()
    {
        Assert.Equal("saml-key-transport-rsa1_5-refused", Validate(Encrypted(Answer(), current.Certificate, key: SamlEncryption.Rsa15)).Reason);
        Assert.Equal("saml-key-transport-rsa1_5-refused", Validate(Encrypted(Answer(), current.Certificate, SamlEncryption.Aes128Cbc, SamlEncryption.Rsa15, signResponse: true)).Reason);
        Assert.Equal("saml-encryption-algorithm-not-allowed", Validate(Encrypted(Answer(), current.Certificate, SamlEncryption.TripleDes)).Reason);
    }

    [Fact]
    public void An_assertion_encrypted_to_another_connections_certificate_or_tampered_does_not_decrypt()
    {
        Assert.Equal("saml-decryption-failed", Validate(Encrypted(Answer(), otherConnection.Certificate)).Reason);
        Assert.Equal("saml-decryption-failed", Validate(Encrypted(Answer(), current.Certificate), otherConnection.Key).Reason);
        var tampered = Encrypted(Answer(), current.Certificate);
        var value = (XmlElement)tampered.GetElementsByTagName("CipherValue", SamlEncryption.XEnc)[1]!;
        var bytes = Convert.FromBase64String(value.InnerText);
        bytes[20] ^= 1;
        value.InnerText = Convert.ToBase64String(bytes);
        Assert.Equal("saml-decryption-failed", Validate(tampered).Reason);
    }

    [Fact]
    public void An_unsigned_encrypted_assertion_is_refused_even_inside_a_signed_response()
    {
        // Anyone can encrypt to the SP's public certificate: the assertion itself must be signed by the IdP.
        Assert.Equal("saml-encrypted-assertion-not-signed", Validate(Encrypted(Answer() with { SignAssertion = false }, current.Certificate)).Reason);
        Assert.Equal("saml-encrypted-assertion-not-signed", Validate(Encrypted(Answer() with { SignAssertion = false }, current.Certificate, signResponse: true)).Reason);
    }

    /// <summary>
    /// A connection that does not want assertions signed (its SP metadata says WantAssertionsSigned="false"): an
    /// encrypted assertion without its own signature is accepted only inside a Response whose verified signature
    /// covers the EncryptedAssertion as received (encrypt, then sign); sign-then-encrypt, no signature at all, a
    /// swapped, added, hidden or re-signed EncryptedAssertion, or the genuine Response nested in the attacker's are refused.
    /// </summary>
    [Fact]
    public void Where_assertions_need_no_signature_an_encrypted_one_is_accepted_only_under_a_verified_response_signature_over_its_ciphertext()
    {
        var unsigned = Answer() with { SignAssertion = false };
        var (accepted, acceptedReason) = Validate(Encrypted(unsigned, current.Certificate, signResponse: true), wantAssertionsSigned: false);
        Assert.Null(acceptedReason);
        Assert.Equal("alice@corp.test", accepted!.Email);
        Assert.Null(Validate(Encrypted(unsigned, next.Certificate, SamlEncryption.Aes128Cbc, signResponse: true), wantAssertionsSigned: false).Reason);
        // The same answers where assertions must be signed (the default), and the signed ones still pass there.
        Assert.Equal("saml-encrypted-assertion-not-signed", Validate(Encrypted(unsigned, current.Certificate, signResponse: true)).Reason);
        Assert.Null(Validate(Encrypted(Answer(), current.Certificate, signResponse: true), wantAssertionsSigned: false).Reason);

        // Nothing signed at all: anyone can encrypt to the public certificate.
        Assert.Equal("saml-encrypted-assertion-not-signed", Validate(Encrypted(unsigned, current.Certificate), wantAssertionsSigned: false).Reason);

        // Sign, then encrypt: the Response signature covered the plaintext, not what arrived.
        var signThenEncrypt = idp.Response(unsigned with { SignResponse = true });
        SamlEncryption.EncryptInPlace(SamlAttacks.AssertionOf(signThenEncrypt.DocumentElement!), current.Certificate);
        Assert.Equal("saml-signature-invalid", Validate(signThenEncrypt, wantAssertionsSigned: false).Reason);

        // The genuine signed Response's EncryptedAssertion swapped for the attacker's (victim, encrypted to our public certificate).
        XmlElement Attackers(XmlDocument into) => SamlEncryption.EncryptedAssertion(into,
            System.Text.Encoding.UTF8.GetBytes(SamlAttacks.AssertionOf(idp.Response(Answer("victim@corp.test") with { SignAssertion = false }).DocumentElement!).OuterXml),
            current.Certificate);
        XmlElement EncryptedOf(XmlElement response) => response.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "EncryptedAssertion");
        var swapped = Encrypted(Answer("mallory@corp.test") with { SignAssertion = false }, current.Certificate, signResponse: true);
        swapped.DocumentElement!.ReplaceChild(Attackers(swapped), EncryptedOf(swapped.DocumentElement!));
        Assert.Equal("saml-signature-invalid", Validate(swapped, wantAssertionsSigned: false).Reason);

        // The attacker's EncryptedAssertion added beside the genuine one, or the genuine one hidden in Extensions.
        var added = Encrypted(Answer("mallory@corp.test") with { SignAssertion = false }, current.Certificate, signResponse: true);
        added.DocumentElement!.AppendChild(Attackers(added));
        Assert.Equal("saml-not-exactly-one-assertion", Validate(added, wantAssertionsSigned: false).Reason);
        var hidden = Encrypted(Answer("mallory@corp.test") with { SignAssertion = false }, current.Certificate, signResponse: true);
        var extensions = hidden.CreateElement("samlp", "Extensions", SamlTestIdp.Protocol);
        var genuine = EncryptedOf(hidden.DocumentElement!);
        hidden.DocumentElement!.ReplaceChild(extensions, genuine);
        extensions.AppendChild(genuine);
        hidden.DocumentElement!.AppendChild(Attackers(hidden));
        Assert.Equal("saml-not-exactly-one-assertion", Validate(hidden, wantAssertionsSigned: false).Reason);

        // XSW1 around the encryption: the attacker's Response (with a copy of the genuine signature) as the root, the genuine signed one inside it.
        var original = Encrypted(Answer("mallory@corp.test") with { SignAssertion = false }, current.Certificate, signResponse: true);
        var root = original.DocumentElement!;
        var evil = (XmlElement)root.CloneNode(true);
        evil.SetAttribute("ID", "_evil" + Guid.NewGuid().ToString("n"));
        evil.ReplaceChild(Attackers(original), EncryptedOf(evil));
        original.ReplaceChild(evil, root);
        evil.AppendChild(root);
        Assert.Equal("saml-not-exactly-one-assertion", Validate(original, wantAssertionsSigned: false).Reason);

        // The attacker's own Response signature, by a key that is not configured (carried in its KeyInfo).
        using var other = new SamlTestIdp(idp.EntityId);
        var forged = Encrypted(unsigned, current.Certificate);
        SamlTestIdp.Sign(forged.DocumentElement!, unsigned, other.Key, other.Certificate);
        Assert.Equal("saml-signature-invalid", Validate(forged, wantAssertionsSigned: false).Reason);
    }

    [Fact]
    public void Signature_wrapping_inside_the_encryption_is_refused()
    {
        // The genuine signed assertion nested in the attacker's (in Advice), encrypted together.
        var genuine = idp.Response(Answer("mallory@corp.test"));
        var signed = SamlAttacks.AssertionOf(genuine.DocumentElement!);
        var evil = (XmlElement)signed.CloneNode(true);
        evil.RemoveChild(evil.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "Signature"));
        evil.SetAttribute("ID", "_evil");
        SamlAttacks.NameId(evil).InnerText = "victim@corp.test";
        var advice = genuine.CreateElement("saml", "Advice", SamlTestIdp.Assertion);
        advice.AppendChild(signed.CloneNode(true));
        evil.InsertBefore(advice, evil.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Conditions"));
        var nested = idp.Response(Answer("mallory@corp.test"));
        var nestedAssertion = SamlAttacks.AssertionOf(nested.DocumentElement!);
        nested.DocumentElement!.ReplaceChild(SamlEncryption.EncryptedAssertion(nested, System.Text.Encoding.UTF8.GetBytes(evil.OuterXml), current.Certificate), nestedAssertion);
        Assert.Equal("saml-not-exactly-one-assertion", Validate(nested).Reason);

        // Two assertions side by side in the plaintext: the evil one first, the genuine signed one after it.
        var twin = idp.Response(Answer("mallory@corp.test"));
        twin.DocumentElement!.ReplaceChild(SamlEncryption.EncryptedAssertion(twin, System.Text.Encoding.UTF8.GetBytes(evil.OuterXml + signed.OuterXml), current.Certificate),
            SamlAttacks.AssertionOf(twin.DocumentElement!));
        Assert.Equal("saml-not-exactly-one-assertion", Validate(twin).Reason);

        // A DTD inside the plaintext is never parsed.
        var dtd = idp.Response(Answer());
        dtd.DocumentElement!.ReplaceChild(SamlEncryption.EncryptedAssertion(dtd, System.Text.Encoding.UTF8.GetBytes("<!DOCTYPE x [<!ENTITY e \"e\">]>" + signed.OuterXml), current.Certificate),
            SamlAttacks.AssertionOf(dtd.DocumentElement!));
        Assert.Equal("saml-decryption-failed", Validate(dtd).Reason);
    }

    [Fact]
    public void Signature_wrapping_around_the_encryption_is_refused()
    {
        // The genuine encrypted assertion hidden in Extensions, the attacker's own (encrypted to our public certificate) where it is read.
        var genuine = Encrypted(Answer("mallory@corp.test"), current.Certificate);
        var response = genuine.DocumentElement!;
        var hidden = response.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "EncryptedAssertion");
        var extensions = genuine.CreateElement("samlp", "Extensions", SamlTestIdp.Protocol);
        response.InsertBefore(extensions, response.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Status"));
        extensions.AppendChild(hidden);
        var attacker = idp.Response(Answer("victim@corp.test") with { SignAssertion = false });
        response.AppendChild(SamlEncryption.EncryptedAssertion(genuine, System.Text.Encoding.UTF8.GetBytes(SamlAttacks.AssertionOf(attacker.DocumentElement!).OuterXml), current.Certificate));
        Assert.Equal("saml-not-exactly-one-assertion", Validate(genuine).Reason);

        // A signed (encrypt-then-sign) response whose EncryptedAssertion is swapped for the attacker's: the response signature breaks.
        var signedResponse = Encrypted(Answer("mallory@corp.test"), current.Certificate, signResponse: true);
        var mine = idp.Response(Answer("victim@corp.test"));
        var swapped = SamlEncryption.EncryptedAssertion(signedResponse, System.Text.Encoding.UTF8.GetBytes(SamlAttacks.AssertionOf(mine.DocumentElement!).OuterXml), current.Certificate);
        signedResponse.DocumentElement!.ReplaceChild(swapped, signedResponse.DocumentElement!.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "EncryptedAssertion"));
        Assert.Equal("saml-signature-invalid", Validate(signedResponse).Reason);

        // The EncryptedAssertion wrapped in an element of its own inside the Response.
        var wrapped = Encrypted(Answer(), current.Certificate);
        var encrypted = wrapped.DocumentElement!.ChildNodes.OfType<XmlElement>().Single(e => e.LocalName == "EncryptedAssertion");
        var wrapper = wrapped.CreateElement("samlp", "Extensions", SamlTestIdp.Protocol);
        wrapped.DocumentElement!.ReplaceChild(wrapper, encrypted);
        wrapper.AppendChild(encrypted);
        Assert.Equal("saml-not-exactly-one-assertion", Validate(wrapped).Reason);
    }
}
