using System.Diagnostics;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Xml;
using Platform.Hosting.Testing;

namespace Platform.Identity.Tests.Infrastructure;

/// <summary>
/// Signs with Debian's xmlsec1 (libxmlsec1 on OpenSSL) instead of .NET: a signer that shares no code with the service's
/// verifier. The signature template is written into the live document; xmlsec1 signs a serialized copy and the
/// computed digest, signature value and certificate are copied back, so a test can go on reshaping the same nodes.
/// </summary>
public static class Xmlsec1
{
    private static string? program;
    private static readonly SemaphoreSlim gate = new(1, 1);

    public static async Task<string> EnsureAsync()
    {
        await gate.WaitAsync();
        try
        {
            return program ??= await DebianPackages.EnsureAsync("xmlsec1", ["xmlsec1"]);
        }
        finally
        {
            gate.Release();
        }
    }

    public static void Sign(XmlElement element, SamlAnswer a, RSA key, X509Certificate2 certificate)
    {
        var document = element.OwnerDocument;
        var ds = SamlTestIdp.DSig;
        var id = element.GetAttribute("ID");
        var template = document.CreateElement("ds", "Signature", ds);
        template.InnerXml = $"""<ds:SignedInfo xmlns:ds="{ds}"><ds:CanonicalizationMethod Algorithm="{a.Canonicalization}"/><ds:SignatureMethod Algorithm="{a.SignatureMethod}"/><ds:Reference URI="#{id}"><ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/><ds:Transform Algorithm="{a.ExtraTransform?.Algorithm ?? "http://www.w3.org/2001/10/xml-exc-c14n#"}"/></ds:Transforms><ds:DigestMethod Algorithm="{a.DigestMethod}"/><ds:DigestValue></ds:DigestValue></ds:Reference></ds:SignedInfo><ds:SignatureValue xmlns:ds="{ds}"></ds:SignatureValue><ds:KeyInfo xmlns:ds="{ds}"><ds:X509Data><ds:X509Certificate></ds:X509Certificate></ds:X509Data></ds:KeyInfo>""";
        var issuer = element.ChildNodes.OfType<XmlElement>().First(e => e.LocalName == "Issuer");
        element.InsertAfter(template, issuer);

        var folder = Directory.CreateTempSubdirectory("xmlsec1-");
        try
        {
            var input = Path.Combine(folder.FullName, "in.xml");
            var output = Path.Combine(folder.FullName, "out.xml");
            var keyFile = Path.Combine(folder.FullName, "key.pem");
            var certificateFile = Path.Combine(folder.FullName, "cert.pem");
            File.WriteAllText(keyFile, key.ExportPkcs8PrivateKeyPem());
            File.WriteAllText(certificateFile, certificate.ExportCertificatePem());
            // Mark the template to sign: xmlsec1 signs the first Signature node it finds.
            template.SetAttribute("Id", "xmlsec1-target");
            File.WriteAllText(input, document.OuterXml);
            template.RemoveAttribute("Id");
            var start = new ProcessStartInfo(program ?? throw new InvalidOperationException("Call Xmlsec1.EnsureAsync first."))
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var argument in (string[])["--sign", "--privkey-pem", $"{keyFile},{certificateFile}", "--node-id", "xmlsec1-target",
                         "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", "--id-attr:ID", "urn:oasis:names:tc:SAML:2.0:protocol:Response", "--id-attr:Id", "http://www.w3.org/2000/09/xmldsig#:Signature",
                         "--output", output, input])
            {
                start.ArgumentList.Add(argument);
            }

            using var process = Process.Start(start)!;
            var errors = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"xmlsec1 failed ({process.ExitCode}): {errors}");
            var signed = new XmlDocument { PreserveWhitespace = true };
            signed.Load(output);
            var result = (XmlElement)signed.GetElementsByTagName("Signature", ds).Cast<XmlElement>().Single(s => s.GetAttribute("Id") == "xmlsec1-target");
            string Value(XmlElement root, string name) => root.GetElementsByTagName(name, ds)[0]!.InnerText;
            template.GetElementsByTagName("DigestValue", ds)[0]!.InnerText = Value(result, "DigestValue");
            template.GetElementsByTagName("SignatureValue", ds)[0]!.InnerText = Value(result, "SignatureValue");
            template.GetElementsByTagName("X509Certificate", ds)[0]!.InnerText = Value(result, "X509Certificate");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
