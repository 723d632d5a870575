using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Npgsql;
using Platform.Identity.Mfa;

namespace Platform.Identity.Sessions.KeyRing;

/// <summary>
/// The Data Protection key ring (session, MFA-pending and anti-forgery cookies) in identitydb, so that every replica
/// reads and writes the same keys. Each key element is stored AES-256-GCM encrypted under the key derived from
/// <c>Identity:DataKey</c>, bound to its name; the master key inside it is encrypted once more by <see cref="DataKeyXmlEncryptor"/>.
/// </summary>
internal sealed class DatabaseXmlRepository(NpgsqlDataSource dataSource, DataProtector protector, TimeProvider clock) : IXmlRepository
{
    // Data Protection calls the repository synchronously (IXmlRepository has no async members).
    public IReadOnlyCollection<XElement> GetAllElements()
    {
        using var command = dataSource.CreateCommand("SELECT name, encrypted_xml FROM data_protection_keys ORDER BY created_at, name");
        using var reader = command.ExecuteReader();
        var elements = new List<XElement>();
        while (reader.Read())
        {
            var xml = protector.Unprotect(reader.GetFieldValue<byte[]>(1), Context(reader.GetString(0)));
            elements.Add(XElement.Parse(Encoding.UTF8.GetString(xml)));
        }

        return elements;
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        var xml = Encoding.UTF8.GetBytes(element.ToString(SaveOptions.DisableFormatting));
        using var command = dataSource.CreateCommand("INSERT INTO data_protection_keys (name, encrypted_xml, created_at) VALUES ($1, $2, $3)");
        command.Parameters.AddWithValue(friendlyName);
        command.Parameters.AddWithValue(protector.Protect(xml, Context(friendlyName)));
        command.Parameters.AddWithValue(clock.GetUtcNow());
        command.ExecuteNonQuery();
    }

    private static string Context(string name) => "data-protection-key:" + name;
}
