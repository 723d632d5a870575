namespace Platform.Identity.Sso.Saml;

/// <summary>
/// Why a SAML response was refused: the <c>reason</c> of the <c>identity.sso.refused</c> audit event and of the error
/// page, one code per check (listed in services/identity/README.md).
/// </summary>
internal static class SamlReasons
{
    public const string Malformed = "saml-malformed-response";
    public const string Dtd = "saml-dtd-refused";
    public const string NotExactlyOneAssertion = "saml-not-exactly-one-assertion";
    public const string DecryptionFailed = "saml-decryption-failed";
    public const string EncryptionAlgorithm = "saml-encryption-algorithm-not-allowed";
    public const string KeyTransport = "saml-key-transport-not-allowed";
    public const string Rsa15Refused = "saml-key-transport-rsa1_5-refused";
    public const string EncryptedAssertionUnsigned = "saml-encrypted-assertion-not-signed";
    public const string AssertionUnsigned = "saml-assertion-not-signed";
    public const string DuplicateId = "saml-duplicate-id";
    public const string MissingSignature = "saml-missing-signature";
    public const string SecondSignature = "saml-more-than-one-signature";
    public const string SignatureOutOfPlace = "saml-signature-out-of-place";
    public const string SignatureMalformed = "saml-signature-malformed";
    public const string NotOneReference = "saml-not-exactly-one-reference";
    public const string ReferenceNotToSignedElement = "saml-reference-not-to-signed-element";
    public const string Canonicalization = "saml-canonicalization-not-allowed";
    public const string Transform = "saml-transform-not-allowed";
    public const string SignatureAlgorithm = "saml-signature-algorithm-not-allowed";
    public const string DigestAlgorithm = "saml-digest-algorithm-not-allowed";
    public const string SignatureInvalid = "saml-signature-invalid";
    public const string Status = "saml-status-not-success";
    public const string WrongIssuer = "saml-wrong-issuer";
    public const string WrongDestination = "saml-wrong-destination";
    public const string WrongRecipient = "saml-wrong-recipient";
    public const string WrongAudience = "saml-wrong-audience";
    public const string Expired = "saml-expired";
    public const string NotYetValid = "saml-not-yet-valid";
    public const string NoBearer = "saml-no-bearer-confirmation";
    public const string IdentityNotPlainText = "saml-identity-not-plain-text";
    public const string MissingNameId = "saml-missing-name-id";
    public const string MissingEmail = "saml-missing-email";
    public const string InResponseToMismatch = "saml-in-response-to-mismatch";
    public const string InResponseToUnknown = "saml-in-response-to-unknown-or-consumed";
    public const string InResponseToOtherBrowser = "saml-in-response-to-not-of-this-browser";
    public const string Unsolicited = "saml-unsolicited-not-allowed";
    public const string Replayed = "saml-assertion-replayed";
    public const string UnknownConnection = "saml-unknown-connection";

    public static readonly IReadOnlySet<string> All = typeof(SamlReasons).GetFields()
        .Where(f => f.IsLiteral && f.FieldType == typeof(string)).Select(f => (string)f.GetRawConstantValue()!).ToHashSet(StringComparer.Ordinal);
}
