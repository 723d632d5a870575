// SAML responses verified per second on one core (issue 18 benchmark): the ACS's whole check without the database
// (parse with DTDs prohibited, shape, the signature with its pinned reference, issuer, destination, confirmation,
// conditions, audience, NameID and email), beside raw RSA-2048/SHA-256 PKCS#1 verifications in the same run; both
// single-threaded, pinned to one CPU, alternated. Prints its figures; not a test.
// dotnet run -c Release --project bench/SamlVerify [-- seconds-per-round]
using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography.Xml;
using System.Xml;
using Platform.Identity.Sso.Saml;

var seconds = args.Length > 0 ? double.Parse(args[0], System.Globalization.CultureInfo.InvariantCulture) : 3;
if (OperatingSystem.IsLinux() || OperatingSystem.IsWindows()) Process.GetCurrentProcess().ProcessorAffinity = 1;

const string Sp = "https://platform.example/sso/saml/sso_0123";
const string Acs = Sp + "/acs";
const string Idp = "https://idp.example/saml";
using var key = RSA.Create(2048);
var now = DateTimeOffset.UtcNow;
using var certificate = new CertificateRequest("CN=Bench IdP", key, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1).CreateSelfSigned(now.AddDays(-1), now.AddYears(1));
using var publicOnly = X509CertificateLoader.LoadCertificate(certificate.RawData);
var encoded = Response(signResponse: false);
var both = Response(signResponse: true);
var expect = new SamlExpectations(Sp, Acs, Idp, [publicOnly], now, TimeSpan.FromMinutes(2));
if (SamlResponseValidator.Validate(encoded, expect).Reason is { } reason) throw new InvalidOperationException("The bench's response is refused: " + reason);
if (SamlResponseValidator.Validate(both, expect).Reason is { } reason2) throw new InvalidOperationException("The bench's response is refused: " + reason2);

var data = RandomNumberGenerator.GetBytes(1024);
var signature = key.SignData(data, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
using var verifier = publicOnly.GetRSAPublicKey()!;

Console.WriteLine($"SAML response {Convert.FromBase64String(encoded).Length} bytes (assertion signed), {Convert.FromBase64String(both).Length} bytes (response and assertion signed); " +
    $"{seconds:0.#} s per round, one thread pinned to CPU 0, {Environment.ProcessorCount} CPUs, load {Load()}");
Rate("warm-up", () => SamlResponseValidator.Validate(encoded, expect), 1);
Rate("warm-up", () => verifier.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), 1);
for (var round = 1; round <= 2; round++)
{
    var raw = Rate("RSA-2048/SHA-256 verifications", () => verifier.VerifyData(data, signature, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1), seconds);
    var one = Rate("SAML responses (assertion signed)", () => SamlResponseValidator.Validate(encoded, expect), seconds);
    var two = Rate("SAML responses (response and assertion signed)", () => SamlResponseValidator.Validate(both, expect), seconds);
    Console.WriteLine($"round {round}: {raw,8:0}/s raw RSA | {one,7:0}/s SAML one signature ({one / raw:P1} of raw) | {two,7:0}/s SAML two signatures ({2 * two / raw:P1} of raw per signature) | load {Load()}");
}

static double Rate(string name, Action action, double seconds)
{
    var count = 0;
    var cpu = Process.GetCurrentProcess().TotalProcessorTime;
    var clock = Stopwatch.StartNew();
    while (clock.Elapsed.TotalSeconds < seconds)
    {
        action();
        count++;
    }

    // Per CPU-second of this process: the neighbours' load on a shared machine moves wall-clock rates more than this.
    var used = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
    return count / Math.Max(used, 1e-3);
}

static string Load() => File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "?";

string Response(bool signResponse)
{
    static string T(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
    var xml = $"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_r1" Version="2.0" IssueInstant="{T(now)}" Destination="{Acs}" InResponseTo="_q1"><saml:Issuer>{Idp}</saml:Issuer><samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status><saml:Assertion ID="_a1" Version="2.0" IssueInstant="{T(now)}"><saml:Issuer>{Idp}</saml:Issuer><saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">alice@corp.example</saml:NameID><saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer"><saml:SubjectConfirmationData InResponseTo="_q1" NotOnOrAfter="{T(now.AddMinutes(5))}" Recipient="{Acs}"/></saml:SubjectConfirmation></saml:Subject><saml:Conditions NotBefore="{T(now.AddMinutes(-1))}" NotOnOrAfter="{T(now.AddMinutes(5))}"><saml:AudienceRestriction><saml:Audience>{Sp}</saml:Audience></saml:AudienceRestriction></saml:Conditions><saml:AuthnStatement AuthnInstant="{T(now)}"><saml:AuthnContext><saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef></saml:AuthnContext></saml:AuthnStatement></saml:Assertion></samlp:Response>""";
    var document = new XmlDocument { PreserveWhitespace = true };
    document.LoadXml(xml);
    Sign((XmlElement)document.GetElementsByTagName("Assertion", "urn:oasis:names:tc:SAML:2.0:assertion")[0]!);
    if (signResponse) Sign(document.DocumentElement!);
    return Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(document.OuterXml));
}

void Sign(XmlElement element)
{
    var signed = new SignedXml(element.OwnerDocument) { SigningKey = key };
    signed.SignedInfo!.CanonicalizationMethod = SignedXml.XmlDsigExcC14NTransformUrl;
    signed.SignedInfo.SignatureMethod = SignedXml.XmlDsigRSASHA256Url;
    var reference = new Reference("#" + element.GetAttribute("ID")) { DigestMethod = SignedXml.XmlDsigSHA256Url };
    reference.AddTransform(new XmlDsigEnvelopedSignatureTransform());
    reference.AddTransform(new XmlDsigExcC14NTransform());
    signed.AddReference(reference);
    signed.ComputeSignature();
    element.InsertAfter(element.OwnerDocument.ImportNode(signed.GetXml(), true), element.FirstChild);
}
