using Npgsql;

namespace Platform.Audit.Export;

/// <summary>One stored entry as an export writes it: the list API's fields, details as the stored JSON text.</summary>
internal readonly record struct ExportRow(
    long Id, string EventId, DateTimeOffset OccurredAt, string? OrganizationId, string Actor, string Action, string? Target, string Outcome,
    string? Ip, string? RequestId, string? UserAgent, string? Region, string? Details)
{
    /// <summary>The columns of <see cref="Data.AuditSql.Columns"/>, in that order.</summary>
    public static ExportRow Read(NpgsqlDataReader reader) => new(
        reader.GetInt64(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), Text(reader, 3), reader.GetString(4), reader.GetString(5),
        Text(reader, 6), reader.GetString(7), Text(reader, 8), Text(reader, 9), Text(reader, 10), Text(reader, 11), Text(reader, 12));

    public string PublicId => $"aud_{Id}";

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
