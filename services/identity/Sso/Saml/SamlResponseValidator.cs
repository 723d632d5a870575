using System.Globalization;
using System.Security.Cryptography.X509Certificates;
using System.Xml;

namespace Platform.Identity.Sso.Saml;

/// <summary>What the service expects of a response at one connection's ACS.</summary>
/// <remarks>
/// <paramref name="WantAssertionsSigned"/> (the connection's setting, published in its SP metadata): every assertion
/// must carry the IdP's own signature. When false, a verified Response signature over the assertion suffices, and over
/// an EncryptedAssertion too (encrypt-then-sign: the IdP signed the ciphertext it made, so nobody else chose it); an
/// encrypted assertion with no signature on it or on the Response around it is refused either way, since anyone can
/// encrypt to the public encryption certificate.
/// </remarks>
internal sealed record SamlExpectations(string SpEntityId, string AcsUrl, string IdpEntityId, IReadOnlyList<X509Certificate2> Certificates, DateTimeOffset Now, TimeSpan Skew,
    IReadOnlyList<System.Security.Cryptography.RSA>? DecryptionKeys = null, bool WantAssertionsSigned = true);

/// <summary>What a verified assertion says, read only from the verified element.</summary>
internal sealed record SamlAssertion(string Id, string? InResponseTo, string NameId, string Email, DateTimeOffset NotOnOrAfter,
    IReadOnlyList<KeyValuePair<string, string>>? Attributes = null)
{
    /// <summary>The values of the verified assertion's attribute <paramref name="name"/> (plain text only), or null when it has none.</summary>
    public IReadOnlyList<string>? Values(string name)
    {
        var values = (Attributes ?? []).Where(a => a.Key == name).Select(a => a.Value).Where(v => v.Length is > 0 and <= SsoClaims.MaxGroupLength)
            .Distinct(StringComparer.Ordinal).Take(SsoClaims.MaxGroups).ToList();
        return values.Count == 0 ? null : values;
    }
}

/// <summary>
/// Checks a SAML 2.0 Response received by the HTTP-POST binding (SAML 2.0 core, bindings section 3.5, profiles
/// section 4.1.4). The checks that need no database: the document (no DTD), its shape (one Assertion or one
/// EncryptedAssertion, a direct child of the Response, no ID used twice, a signature only on the Response or the
/// Assertion, at most one each, the Assertion's own unless the connection does not want it), the signatures
/// (<see cref="SamlSignature"/>), then from the verified element only: issuer, status, destination, bearer
/// confirmation (recipient, lifetime, InResponseTo), conditions (lifetime, audience), NameID and email.
/// </summary>
internal static class SamlResponseValidator
{
    public const int MaxEncodedLength = 256 * 1024;

    private static readonly string[] EmailAttributes =
    [
        "email", "mail", "emailaddress", "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress", "urn:oid:0.9.2342.19200300.100.1.3",
    ];

    public static (SamlAssertion? Assertion, string? Reason) Validate(string? encoded, SamlExpectations expect)
    {
        if (string.IsNullOrEmpty(encoded) || encoded.Length > MaxEncodedLength) return (null, SamlReasons.Malformed);
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(encoded);
        }
        catch (FormatException)
        {
            return (null, SamlReasons.Malformed);
        }

        if (SamlXml.HasDoctype(bytes)) return (null, SamlReasons.Dtd);
        XmlDocument document;
        try
        {
            document = SamlXml.Load(bytes);
        }
        catch (XmlException)
        {
            return (null, SamlReasons.Malformed);
        }

        var response = document.DocumentElement;
        if (response is null || response.NamespaceURI != SamlXml.Protocol || response.LocalName != "Response" || response.GetAttribute("Version") != "2.0"
            || response.GetAttribute("ID").Length == 0)
        {
            return (null, SamlReasons.Malformed);
        }

        // An encrypted assertion: the Response's signature (if any) is verified over the document as received, then
        // the one EncryptedAssertion is replaced by what it decrypts to, which must carry its own signature unless the
        // connection does not want assertions signed and the verified Response signature covered the ciphertext (the
        // encryption certificate is public, so anyone can encrypt to it). Every check below then runs on the decrypted
        // document, wrapping checks included.
        var (responseVerified, decrypted) = (false, false);
        if (document.GetElementsByTagName("EncryptedAssertion", SamlXml.Assertion).Count > 0)
        {
            var (verified, reason) = DecryptInPlace(document, response, expect);
            if (reason is not null) return (null, reason);
            responseVerified = verified;
            decrypted = true;
        }

        var assertions = SamlXml.Children(response, SamlXml.Assertion, "Assertion").ToList();
        if (assertions.Count != 1 || document.GetElementsByTagName("Assertion", SamlXml.Assertion).Count != 1) return (null, SamlReasons.NotExactlyOneAssertion);
        var assertion = assertions[0];
        if (HasDuplicateIds(document)) return (null, SamlReasons.DuplicateId);

        // Signatures: only as direct children of the Response or of its Assertion, at most one each, and at least one.
        var responseSignatures = SamlXml.Children(response, SamlXml.DSig, "Signature").ToList();
        var assertionSignatures = SamlXml.Children(assertion, SamlXml.DSig, "Signature").ToList();
        if (responseSignatures.Count > 1 || assertionSignatures.Count > 1) return (null, SamlReasons.SecondSignature);
        if (document.GetElementsByTagName("Signature", SamlXml.DSig).Count != responseSignatures.Count + assertionSignatures.Count) return (null, SamlReasons.SignatureOutOfPlace);
        if (decrypted && assertionSignatures.Count == 0 && (expect.WantAssertionsSigned || !responseVerified)) return (null, SamlReasons.EncryptedAssertionUnsigned);
        if (responseSignatures.Count + assertionSignatures.Count == 0) return (null, SamlReasons.MissingSignature);
        if (responseSignatures.Count == 1 && !responseVerified && SamlSignature.Verify(response, responseSignatures[0], expect.Certificates) is { } responseReason) return (null, responseReason);
        if (assertionSignatures.Count == 1 && SamlSignature.Verify(assertion, assertionSignatures[0], expect.Certificates) is { } assertionReason) return (null, assertionReason);
        // The SP metadata's WantAssertionsSigned: a Response signature alone is not enough (checked after the
        // signatures, so that a forged one is still named as such).
        if (assertionSignatures.Count == 0 && expect.WantAssertionsSigned) return (null, SamlReasons.AssertionUnsigned);

        // From here on, everything of the identity is read from `assertion`: the verified element itself, or the
        // single Assertion child of the verified Response. Nothing is looked up by a query over the document.
        return ReadAssertion(response, assertion, expect);
    }

    /// <summary>
    /// The shape an encrypted answer must have before anything is decrypted: exactly one EncryptedAssertion, a direct
    /// child of the Response, no plaintext Assertion anywhere, at most one signature and only on the Response; then
    /// that signature verified, and the EncryptedAssertion replaced by its plaintext. Returns whether the Response's
    /// signature was verified.
    /// </summary>
    private static (bool ResponseVerified, string? Reason) DecryptInPlace(XmlDocument document, XmlElement response, SamlExpectations expect)
    {
        var encrypted = SamlXml.Children(response, SamlXml.Assertion, "EncryptedAssertion").ToList();
        if (encrypted.Count != 1 || document.GetElementsByTagName("EncryptedAssertion", SamlXml.Assertion).Count != 1
            || document.GetElementsByTagName("Assertion", SamlXml.Assertion).Count != 0)
        {
            return (false, SamlReasons.NotExactlyOneAssertion);
        }

        if (HasDuplicateIds(document)) return (false, SamlReasons.DuplicateId);
        var signatures = SamlXml.Children(response, SamlXml.DSig, "Signature").ToList();
        if (signatures.Count > 1) return (false, SamlReasons.SecondSignature);
        if (document.GetElementsByTagName("Signature", SamlXml.DSig).Count != signatures.Count) return (false, SamlReasons.SignatureOutOfPlace);
        if (signatures.Count == 1 && SamlSignature.Verify(response, signatures[0], expect.Certificates) is { } reason) return (false, reason);
        var (assertion, decryptReason) = SamlDecryption.Decrypt(encrypted[0], expect.DecryptionKeys ?? []);
        if (assertion is null) return (false, decryptReason);
        response.ReplaceChild(assertion, encrypted[0]);
        return (signatures.Count == 1, null);
    }

    private static (SamlAssertion?, string?) ReadAssertion(XmlElement response, XmlElement assertion, SamlExpectations expect)
    {
        if (SamlXml.Child(response, SamlXml.Assertion, "Issuer") is { } responseIssuer && SamlXml.PlainText(responseIssuer) != expect.IdpEntityId) return (null, SamlReasons.WrongIssuer);
        if (SamlXml.Child(assertion, SamlXml.Assertion, "Issuer") is not { } issuer || SamlXml.PlainText(issuer) != expect.IdpEntityId) return (null, SamlReasons.WrongIssuer);
        var statusCode = SamlXml.Child(response, SamlXml.Protocol, "Status") is { } status ? SamlXml.Child(status, SamlXml.Protocol, "StatusCode") : null;
        if (statusCode?.GetAttribute("Value") != SamlXml.Success) return (null, SamlReasons.Status);
        // Bindings section 3.5.5.2: a signed response names where it was sent; required here, signed or not.
        if (response.GetAttribute("Destination") != expect.AcsUrl) return (null, SamlReasons.WrongDestination);
        if (assertion.GetAttribute("Version") != "2.0" || assertion.GetAttribute("ID") is not { Length: > 0 and <= 256 } id) return (null, SamlReasons.Malformed);

        var subject = SamlXml.Child(assertion, SamlXml.Assertion, "Subject");
        if (subject is null || SamlXml.Children(subject, SamlXml.Assertion, "NameID").ToList() is not [var nameIdElement]) return (null, SamlReasons.MissingNameId);
        if (SamlXml.PlainText(nameIdElement) is not { } nameId) return (null, SamlReasons.IdentityNotPlainText);
        if (nameId.Length is 0 or > 255) return (null, SamlReasons.MissingNameId);

        // Profiles section 4.1.4.2: a bearer SubjectConfirmation whose data names our ACS, a lifetime, and the request.
        var confirmation = SamlXml.Children(subject, SamlXml.Assertion, "SubjectConfirmation").FirstOrDefault(c => c.GetAttribute("Method") == SamlXml.Bearer);
        if (confirmation is null || SamlXml.Child(confirmation, SamlXml.Assertion, "SubjectConfirmationData") is not { } data) return (null, SamlReasons.NoBearer);
        if (data.GetAttribute("Recipient") != expect.AcsUrl) return (null, SamlReasons.WrongRecipient);
        if (!TryTime(data, "NotOnOrAfter", out var confirmationEnd) || confirmationEnd is null) return (null, SamlReasons.NoBearer);
        if (confirmationEnd <= expect.Now - expect.Skew) return (null, SamlReasons.Expired);
        if (!TryTime(data, "NotBefore", out var confirmationStart)) return (null, SamlReasons.Malformed);
        if (confirmationStart > expect.Now + expect.Skew) return (null, SamlReasons.NotYetValid);

        var conditions = SamlXml.Child(assertion, SamlXml.Assertion, "Conditions");
        if (conditions is null) return (null, SamlReasons.WrongAudience);
        if (!TryTime(conditions, "NotBefore", out var notBefore) || !TryTime(conditions, "NotOnOrAfter", out var notOnOrAfter)) return (null, SamlReasons.Malformed);
        if (notBefore > expect.Now + expect.Skew) return (null, SamlReasons.NotYetValid);
        if (notOnOrAfter <= expect.Now - expect.Skew) return (null, SamlReasons.Expired);
        // Core section 2.5.1.4: every AudienceRestriction must name us.
        var restrictions = SamlXml.Children(conditions, SamlXml.Assertion, "AudienceRestriction").ToList();
        if (restrictions.Count == 0 || !restrictions.All(r => SamlXml.Children(r, SamlXml.Assertion, "Audience").Any(a => SamlXml.PlainText(a) == expect.SpEntityId)))
        {
            return (null, SamlReasons.WrongAudience);
        }

        // The request this answers: the signed confirmation's InResponseTo, equal to the Response's when both are present.
        var inResponseTo = data.GetAttribute("InResponseTo") is { Length: > 0 } signedRequest ? signedRequest : null;
        var responseInResponseTo = response.GetAttribute("InResponseTo") is { Length: > 0 } r ? r : null;
        if (responseInResponseTo != inResponseTo) return (null, SamlReasons.InResponseToMismatch);

        var (email, emailReason) = Email(assertion, nameIdElement, nameId);
        if (email is null) return (null, emailReason);
        var end = notOnOrAfter is { } n && n < confirmationEnd!.Value ? n : confirmationEnd!.Value;
        return (new SamlAssertion(id, inResponseTo, nameId, email, end, Attributes(assertion)), null);
    }

    /// <summary>Every attribute value of the verified assertion that is plain text (groups are read from these).</summary>
    private static List<KeyValuePair<string, string>> Attributes(XmlElement assertion) =>
        [.. from statement in SamlXml.Children(assertion, SamlXml.Assertion, "AttributeStatement")
            from attribute in SamlXml.Children(statement, SamlXml.Assertion, "Attribute")
            from value in SamlXml.Children(attribute, SamlXml.Assertion, "AttributeValue")
            let text = SamlXml.PlainText(value)
            where text is { Length: > 0 }
            select new KeyValuePair<string, string>(attribute.GetAttribute("Name"), text)];

    /// <summary>The email: an email attribute of the assertion (one value), else the NameID when its format is emailAddress.</summary>
    private static (string? Email, string? Reason) Email(XmlElement assertion, XmlElement nameIdElement, string nameId)
    {
        foreach (var statement in SamlXml.Children(assertion, SamlXml.Assertion, "AttributeStatement"))
        {
            foreach (var attribute in SamlXml.Children(statement, SamlXml.Assertion, "Attribute"))
            {
                if (!EmailAttributes.Contains(attribute.GetAttribute("Name"), StringComparer.OrdinalIgnoreCase)) continue;
                var values = SamlXml.Children(attribute, SamlXml.Assertion, "AttributeValue").ToList();
                if (values.Count != 1) return (null, SamlReasons.MissingEmail);
                return SamlXml.PlainText(values[0]) is { Length: > 0 } value ? (value, null) : (null, SamlReasons.IdentityNotPlainText);
            }
        }

        return nameIdElement.GetAttribute("Format") == SamlXml.EmailFormat ? (nameId, null) : (null, SamlReasons.MissingEmail);
    }

    private static bool TryTime(XmlElement element, string attribute, out DateTimeOffset? value)
    {
        value = null;
        var text = element.GetAttribute(attribute);
        if (text.Length == 0) return true;
        if (!DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal | DateTimeStyles.AdjustToUniversal, out var parsed)) return false;
        value = parsed;
        return true;
    }

    /// <summary>An ID attribute value used twice anywhere (ID, Id or id, as XML-DSig resolvers look for) is refused outright.</summary>
    private static bool HasDuplicateIds(XmlDocument document)
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (XmlElement element in document.GetElementsByTagName("*"))
        {
            foreach (var name in (string[])["ID", "Id", "id"])
            {
                if (element.GetAttributeNode(name) is { } id && !seen.Add(id.Value)) return true;
            }
        }

        return false;
    }
}
