using System.Text;
using System.Text.Json;
using Npgsql;
using Platform.Audit.Apis;
using Platform.Audit.Model;

namespace Platform.Audit.Data;

/// <summary>
/// The one SELECT behind a page and an export: the query's filters as parameters, after a position in newest-first
/// order ((occurred_at, id) descending, the order of the indexes <c>audit_events_org_time</c> and
/// <c>audit_events_time</c>), at most <c>limit</c> rows.
/// </summary>
internal static class AuditSql
{
    public const string Columns = "id, event_id, occurred_at, organization_id, actor, action, target, outcome, ip, request_id, user_agent, region, details";

    public static NpgsqlCommand Select(NpgsqlDataSource dataSource, AuditQuery query, (DateTimeOffset OccurredAt, long Id)? after, int limit)
    {
        var sql = new StringBuilder($"SELECT {Columns} FROM audit_events WHERE true");
        var command = dataSource.CreateCommand();
        void Add(string condition, params object[] values)
        {
            foreach (var value in values) command.Parameters.Add(new NpgsqlParameter { Value = value });
            var first = command.Parameters.Count - values.Length + 1;
            sql.Append(" AND ").Append(string.Format(System.Globalization.CultureInfo.InvariantCulture, condition,
                Enumerable.Range(first, values.Length).Select(n => (object)$"${n}").ToArray()));
        }

        void Filter(string column, string? value)
        {
            if (value is not null) Add(column + " = {0}", value);
        }

        Filter("organization_id", query.Organization);
        Filter("actor", query.Actor);
        Filter("action", query.Action);
        Filter("target", query.Target);
        Filter("ip", query.Ip);
        Filter("request_id", query.RequestId);
        Filter("outcome", query.Outcome);
        if (query.From is { } from) Add("occurred_at >= {0}", from);
        if (query.To is { } to) Add("occurred_at <= {0}", to);
        if (after is { } position) Add("(occurred_at, id) < ({0}, {1})", position.OccurredAt, position.Id);

        command.Parameters.Add(new NpgsqlParameter { Value = limit });
        sql.Append($" ORDER BY occurred_at DESC, id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();
        return command;
    }

    /// <summary>An entry from a row of <see cref="Columns"/>, in that order.</summary>
    public static AuditEntry ReadEntry(NpgsqlDataReader reader)
    {
        var details = reader.IsDBNull(12) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(12));
        return new AuditEntry($"aud_{reader.GetInt64(0)}", reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2), Nullable(reader, 3), reader.GetString(4),
            reader.GetString(5), Nullable(reader, 6), reader.GetString(7), Nullable(reader, 8), Nullable(reader, 9), Nullable(reader, 10), Nullable(reader, 11), details);
    }

    private static string? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
