using System.Text;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Audit.Apis;
using Platform.Audit.Events;
using Platform.Audit.Log;
using Platform.Audit.Model;

namespace Platform.Audit.Data;

internal sealed class AuditStore(NpgsqlDataSource dataSource, LogAppender appender)
{
    /// <summary>
    /// Stores a batch as entries of their organizations' logs (<see cref="LogAppender"/>); an event id seen before is
    /// skipped, which makes ingestion idempotent. Without a transaction of the caller's, in one of its own.
    /// </summary>
    public async Task<int> InsertAsync(IReadOnlyList<AuditRecorded> events, NpgsqlConnection connection, NpgsqlTransaction? transaction, CancellationToken cancellationToken)
    {
        if (transaction is not null) return await appender.AppendAsync(events, connection, transaction, cancellationToken);
        await using var own = await connection.BeginTransactionAsync(cancellationToken);
        var inserted = await appender.AppendAsync(events, connection, own, cancellationToken);
        await own.CommitAsync(cancellationToken);
        return inserted;
    }

    public async Task<AuditPage> QueryAsync(AuditQuery query, CancellationToken cancellationToken)
    {
        var sql = new StringBuilder("SELECT id, event_id, occurred_at, organization_id, actor, action, target, outcome, ip, request_id, user_agent, region, details FROM audit_events WHERE true");
        await using var command = dataSource.CreateCommand();
        void Filter(string column, object? value)
        {
            if (value is null) return;
            command.Parameters.Add(new NpgsqlParameter { Value = value });
            sql.Append($" AND {column} = ${command.Parameters.Count}");
        }

        Filter("organization_id", query.Organization);
        Filter("actor", query.Actor);
        Filter("action", query.Action);
        Filter("target", query.Target);
        Filter("ip", query.Ip);
        Filter("request_id", query.RequestId);
        if (query.From is { } from) { command.Parameters.Add(new NpgsqlParameter { Value = from }); sql.Append($" AND occurred_at >= ${command.Parameters.Count}"); }
        if (query.To is { } to) { command.Parameters.Add(new NpgsqlParameter { Value = to }); sql.Append($" AND occurred_at <= ${command.Parameters.Count}"); }
        if (query.After is { } after)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = after.OccurredAt });
            command.Parameters.Add(new NpgsqlParameter { Value = after.Id });
            sql.Append($" AND (occurred_at, id) < (${command.Parameters.Count - 1}, ${command.Parameters.Count})");
        }

        // One row more than asked tells whether there is a next page.
        command.Parameters.Add(new NpgsqlParameter { Value = query.Limit + 1 });
        sql.Append($" ORDER BY occurred_at DESC, id DESC LIMIT ${command.Parameters.Count}");
        command.CommandText = sql.ToString();

        var items = new List<(AuditEntry Entry, AuditCursor Cursor)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetInt64(0);
            var occurredAt = reader.GetFieldValue<DateTimeOffset>(2);
            var details = reader.IsDBNull(12) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(12));
            items.Add((new AuditEntry($"aud_{id}", reader.GetString(1), occurredAt, Nullable(reader, 3), reader.GetString(4), reader.GetString(5),
                Nullable(reader, 6), reader.GetString(7), Nullable(reader, 8), Nullable(reader, 9), Nullable(reader, 10), Nullable(reader, 11), details),
                new AuditCursor(occurredAt, id)));
        }

        var hasMore = items.Count > query.Limit;
        var page = items.Take(query.Limit).ToList();
        return new AuditPage(page.Select(i => i.Entry).ToList(), hasMore ? page[^1].Cursor.Encode() : null);
    }

    private static NpgsqlParameter Texts(IEnumerable<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static string? Nullable(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
