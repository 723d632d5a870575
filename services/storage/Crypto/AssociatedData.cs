using System.Buffers.Binary;
using System.Text;

namespace Platform.Storage.Crypto;

/// <summary>
/// The associated data that binds a ciphertext to where it belongs: a domain label, the purpose, the organization,
/// the object (or "-") and the key version, then an optional encryption context. Every field is length-prefixed, so
/// no two different bindings encode to the same bytes.
/// </summary>
internal static class AssociatedData
{
    private const string Domain = "platform.storage/v1";

    public static byte[] For(string purpose, string organizationId, string objectId, int keyVersion, IReadOnlyDictionary<string, string>? context = null)
    {
        var fields = new List<string> { Domain, purpose, organizationId, objectId, keyVersion.ToString(System.Globalization.CultureInfo.InvariantCulture) };
        if (context is not null)
        {
            // Sorted by ordinal: the same context in any order is the same binding.
            foreach (var (name, value) in context.OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                fields.Add(name);
                fields.Add(value);
            }
        }

        var buffer = new MemoryStream();
        Span<byte> length = stackalloc byte[4];
        foreach (var field in fields)
        {
            var bytes = Encoding.UTF8.GetBytes(field);
            BinaryPrimitives.WriteInt32BigEndian(length, bytes.Length);
            buffer.Write(length);
            buffer.Write(bytes);
        }

        return buffer.ToArray();
    }
}

/// <summary>The purposes a key is used for; part of every binding, so a ciphertext made for one is useless for another.</summary>
internal static class Purposes
{
    public const string OrganizationKey = "organization-key";
    public const string DataKey = "object-data-key";
    public const string BlobSegments = "object-segments";
    public const string Transit = "transit";
}
