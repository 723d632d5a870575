using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;
using Platform.Identity.Mfa;

namespace Platform.Identity.Sessions.KeyRing;

/// <summary>Encrypts a Data Protection key's secret descriptor under the key derived from <c>Identity:DataKey</c> (AES-256-GCM).</summary>
internal sealed class DataKeyXmlEncryptor(DataProtector protector) : IXmlEncryptor
{
    public const string Context = "data-protection-descriptor";

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var sealedXml = protector.Protect(Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting)), Context);
        var element = new XElement("encryptedKey",
            new XComment(" Encrypted under a key derived from Identity:DataKey (AES-256-GCM). "),
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
        var xml = services.GetRequiredService<DataProtector>().Unprotect(sealedXml, DataKeyXmlEncryptor.Context);
        return XElement.Parse(Encoding.UTF8.GetString(xml));
    }
}
