using System.Buffers.Binary;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Platform.Audit.Log;

/// <summary>
/// The canonical serialization of an audit entry that becomes a Merkle leaf (services/audit/README.md, "Leaf data").
/// Each field is 0x00 (absent) or 0x01 ‖ uint32 big-endian length ‖ bytes, in a fixed order. Fields that erasure may
/// remove (target, IP, user agent, details) enter only as a salted commitment SHA-256(salt ‖ value), so erasing the
/// value and its salt, and keeping the commitment, leaves the leaf unchanged.
/// </summary>
internal static class LeafData
{
    public const string Version = "platform.dev/audit-leaf/v1";
    public const int SaltSize = 16;

    /// <summary>The fields of one entry as the leaf sees them; personal fields as commitments.</summary>
    public sealed record Fields(
        string EventId, DateTimeOffset OccurredAt, string? OrganizationId, string Actor, string Action, string Outcome,
        string? RequestId, string? Region, byte[]? Target, byte[]? Ip, byte[]? UserAgent, byte[]? Details);

    public static byte[] Serialize(Fields entry)
    {
        var buffer = new MemoryStream();
        Text(buffer, Version);
        Text(buffer, entry.EventId);
        Text(buffer, Microseconds(entry.OccurredAt).ToString(CultureInfo.InvariantCulture));
        Text(buffer, entry.OrganizationId);
        Text(buffer, entry.Actor);
        Text(buffer, entry.Action);
        Text(buffer, entry.Outcome);
        Text(buffer, entry.RequestId);
        Text(buffer, entry.Region);
        Bytes(buffer, entry.Target);
        Bytes(buffer, entry.Ip);
        Bytes(buffer, entry.UserAgent);
        Bytes(buffer, entry.Details);
        return buffer.ToArray();
    }

    /// <summary>SHA-256(salt ‖ UTF-8 value); null when there is no value.</summary>
    public static byte[]? Commit(byte[]? salt, string? value) =>
        value is null || salt is null ? null : Commit(salt, Encoding.UTF8.GetBytes(value));

    public static byte[] Commit(byte[] salt, byte[] value) => SHA256.HashData([.. salt, .. value]);

    /// <summary>Details as one value: keys in ordinal order, each key and value a field as above.</summary>
    public static byte[]? CanonicalDetails(IReadOnlyDictionary<string, string>? details)
    {
        if (details is null) return null;
        var buffer = new MemoryStream();
        foreach (var (key, value) in details.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            Text(buffer, key);
            Text(buffer, value);
        }

        return buffer.ToArray();
    }

    public static byte[]? CommitDetails(byte[]? salt, IReadOnlyDictionary<string, string>? details) =>
        details is null || salt is null ? null : Commit(salt, CanonicalDetails(details)!);

    public static byte[] NewSalt() => RandomNumberGenerator.GetBytes(SaltSize);

    /// <summary>PostgreSQL keeps microseconds: the leaf holds the time as stored, Unix microseconds.</summary>
    public static long Microseconds(DateTimeOffset time) => (time.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) / 10;

    public static DateTimeOffset Truncate(DateTimeOffset time) => DateTimeOffset.UnixEpoch.AddTicks(Microseconds(time) * 10);

    private static void Text(Stream buffer, string? value) => Bytes(buffer, value is null ? null : Encoding.UTF8.GetBytes(value));

    private static void Bytes(Stream buffer, byte[]? value)
    {
        if (value is null)
        {
            buffer.WriteByte(0);
            return;
        }

        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(length, (uint)value.Length);
        buffer.WriteByte(1);
        buffer.Write(length);
        buffer.Write(value);
    }
}
