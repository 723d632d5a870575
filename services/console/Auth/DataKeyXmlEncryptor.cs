using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace Platform.SecurityConsole.Auth;

/// <summary>
/// Encrypts each Data Protection key (cookies, anti-forgery tokens) kept in Redis under the key derived from
/// <c>Console:DataKey</c> (<see cref="SessionSeal"/>, AES-256-GCM): Redis alone can neither read nor forge them.
/// </summary>
internal sealed class DataKeyXmlEncryptor(SessionSeal seal) : IXmlEncryptor
{
    public const string Binding = "data-protection-descriptor";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedXml = seal.Seal(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), Binding);
        var element = new XElement("encryptedKey",
            new XComment(" Encrypted under a key derived from Console:DataKey (AES-256-GCM). "),
            new XElement("value", Convert.ToBase64String(sealedXml)));
        return new EncryptedXmlInfo(element, typeof(DataKeyXmlDecryptor));
    }
}

/// <summary>Created by Data Protection from the type named in the key XML, with the service provider.</summary>
internal sealed class DataKeyXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var sealedXml = Convert.FromBase64String((string?)encryptedElement.Element("value") ?? throw new FormatException("The encrypted key has no value."));
        var xml = services.GetRequiredService<SessionSeal>().Open(sealedXml, DataKeyXmlEncryptor.Binding) ?? throw new FormatException("The key ring entry does not open with Console:DataKey.");
        return XElement.Parse(Encoding.UTF8.GetString(xml));
    }
}
