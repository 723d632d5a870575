using Npgsql;
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
        // One row more than asked tells whether there is a next page.
        await using var command = AuditSql.Select(dataSource, query, query.After is { } a ? (a.OccurredAt, a.Id) : null, query.Limit + 1);
        var items = new List<(AuditEntry Entry, AuditCursor Cursor)>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var entry = AuditSql.ReadEntry(reader);
            items.Add((entry, new AuditCursor(query.Organization, entry.OccurredAt, reader.GetInt64(0))));
        }

        var hasMore = items.Count > query.Limit;
        var page = items.Take(query.Limit).ToList();
        return new AuditPage(page.Select(i => i.Entry).ToList(), hasMore ? page[^1].Cursor.Encode() : null);
    }
}
