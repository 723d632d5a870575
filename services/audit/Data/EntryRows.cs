using System.Text.Json;
using Npgsql;
using Platform.Audit.Model;

namespace Platform.Audit.Data;

/// <summary>How an audit entry is read from <c>audit_events</c>: the columns, in this order, and the record made of them.</summary>
internal static class EntryRows
{
    public const string Columns = "id, event_id, occurred_at, organization_id, actor, action, target, outcome, ip, request_id, user_agent, region, details";

    public static AuditEntry Read(NpgsqlDataReader reader)
    {
        var details = reader.IsDBNull(12) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(12));
        return new AuditEntry($"aud_{reader.GetInt64(0)}", reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), Nullable(reader, 3), reader.GetString(4),
            reader.GetString(5), Nullable(reader, 6), reader.GetString(7), Nullable(reader, 8), Nullable(reader, 9), Nullable(reader, 10), Nullable(reader, 11), details);
    }

    private static string? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
