using System.Text.Json;
using Npgsql;
using NpgsqlTypes;
using Platform.Audit.Events;

namespace Platform.Audit.Log;

/// <summary>
/// Stores audit events as entries of their organization's log (README "Log format"). In the caller's transaction:
/// locks the batch's logs in a fixed order (concurrent consumers and replicas take turns per organization), skips
/// event ids stored before (a redelivered event is never appended twice), gives each new event the next leaf index,
/// and stores the leaves and the subtrees they complete: O(log n) per entry.
/// </summary>
internal sealed class LogAppender(TimeProvider time)
{
    public async Task<int> AppendAsync(IReadOnlyList<AuditRecorded> events, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var batch = events.DistinctBy(e => e.Id).ToList();
        var logIds = batch.Select(e => LogIds.Of(e.OrganizationId)).Distinct().Order(StringComparer.Ordinal).ToArray();
        var logs = await LockAsync(logIds, connection, transaction, cancellationToken);

        var stored = new HashSet<string>();
        await using (var existing = new NpgsqlCommand("SELECT event_id FROM audit_events WHERE event_id = ANY($1)", connection, transaction))
        {
            existing.Parameters.Add(new() { Value = batch.Select(e => e.Id).ToArray() });
            await using var reader = await existing.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) stored.Add(reader.GetString(0));
        }

        var fresh = batch.Where(e => !stored.Contains(e.Id)).ToList();
        if (fresh.Count == 0) return 0;

        var rows = new List<Row>(fresh.Count);
        var nodes = new List<(string Log, int Level, long Index, byte[] Hash)>(fresh.Count * 2);
        foreach (var @event in fresh)
        {
            var log = logs[LogIds.Of(@event.OrganizationId)];
            var row = Row.For(@event, log.Id, log.Size);
            MerkleTree.Append(log.Frontier, log.Size, MerkleTree.LeafHash(LeafData.Serialize(row.Leaf())), (level, index, hash) => nodes.Add((log.Id, level, index, hash)));
            log.Size++;
            rows.Add(row);
        }

        var inserted = await InsertRowsAsync(rows, connection, transaction, cancellationToken);
        if (inserted != rows.Count)
        {
            // Only a concurrent insert of the same event id under another organization gets here: try the batch again.
            throw new InvalidOperationException("An event of the batch was stored concurrently; the batch is retried.");
        }

        await InsertNodesAsync(nodes, connection, transaction, cancellationToken);
        await using var update = new NpgsqlCommand(
            "UPDATE audit_logs l SET size = u.size, frontier = u.frontier FROM unnest($1::text[], $2::bigint[], $3::bytea[]) AS u(log_id, size, frontier) WHERE l.log_id = u.log_id",
            connection, transaction);
        update.Parameters.Add(new() { Value = logs.Values.Select(l => l.Id).ToArray() });
        update.Parameters.Add(new() { Value = logs.Values.Select(l => l.Size).ToArray() });
        update.Parameters.Add(new() { Value = logs.Values.Select(l => l.Frontier.SelectMany(h => h).ToArray()).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
        await update.ExecuteNonQueryAsync(cancellationToken);
        return inserted;
    }

    private static async Task<Dictionary<string, LogState>> LockAsync(string[] logIds, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using (var create = new NpgsqlCommand("INSERT INTO audit_logs (log_id) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING", connection, transaction))
        {
            create.Parameters.Add(new() { Value = logIds });
            await create.ExecuteNonQueryAsync(cancellationToken);
        }

        var logs = new Dictionary<string, LogState>(StringComparer.Ordinal);
        await using var select = new NpgsqlCommand("SELECT log_id, size, frontier FROM audit_logs WHERE log_id = ANY($1) ORDER BY log_id COLLATE \"C\" FOR UPDATE", connection, transaction);
        select.Parameters.Add(new() { Value = logIds });
        await using var reader = await select.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var state = new LogState(reader.GetString(0), reader.GetInt64(1), LogIds.SplitFrontier(reader.GetFieldValue<byte[]>(2)));
            logs[state.Id] = state;
        }

        return logs;
    }

    private async Task<int> InsertRowsAsync(List<Row> rows, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        const string sql = """
            INSERT INTO audit_events (event_id, occurred_at, organization_id, actor, action, target, outcome, ip, request_id, user_agent, region, details, received_at,
                                      log_id, leaf_index, target_salt, ip_salt, user_agent_salt, details_salt)
            SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::jsonb[], $13::timestamptz[],
                                 $14::text[], $15::bigint[], $16::bytea[], $17::bytea[], $18::bytea[], $19::bytea[])
            ON CONFLICT (event_id) DO NOTHING
            """;
        var now = time.GetUtcNow();
        await using var command = new NpgsqlCommand(sql, connection, transaction);
        command.Parameters.Add(Texts(rows.Select(r => r.Event.Id)));
        command.Parameters.Add(new() { Value = rows.Select(r => r.OccurredAt).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Texts(rows.Select(r => r.Event.OrganizationId)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.Actor)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.Action)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.Target)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.Outcome)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.Ip)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.RequestId)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.UserAgent)));
        command.Parameters.Add(Texts(rows.Select(r => r.Event.Region)));
        command.Parameters.Add(new() { Value = rows.Select(r => r.Event.Details is null ? null : JsonSerializer.Serialize(r.Event.Details)).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Jsonb });
        command.Parameters.Add(new() { Value = rows.Select(_ => now).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.TimestampTz });
        command.Parameters.Add(Texts(rows.Select(r => r.LogId)));
        command.Parameters.Add(new() { Value = rows.Select(r => r.LeafIndex).ToArray() });
        command.Parameters.Add(Salts(rows.Select(r => r.TargetSalt)));
        command.Parameters.Add(Salts(rows.Select(r => r.IpSalt)));
        command.Parameters.Add(Salts(rows.Select(r => r.UserAgentSalt)));
        command.Parameters.Add(Salts(rows.Select(r => r.DetailsSalt)));
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task InsertNodesAsync(List<(string Log, int Level, long Index, byte[] Hash)> nodes, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "INSERT INTO audit_log_nodes (log_id, level, index, hash) SELECT * FROM unnest($1::text[], $2::int[], $3::bigint[], $4::bytea[])", connection, transaction);
        command.Parameters.Add(Texts(nodes.Select(n => n.Log)));
        command.Parameters.Add(new() { Value = nodes.Select(n => n.Level).ToArray() });
        command.Parameters.Add(new() { Value = nodes.Select(n => n.Index).ToArray() });
        command.Parameters.Add(Salts(nodes.Select(n => n.Hash)));
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlParameter Texts(IEnumerable<string?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text };

    private static NpgsqlParameter Salts(IEnumerable<byte[]?> values) =>
        new() { Value = values.ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea };

    private sealed class LogState(string id, long size, List<byte[]> frontier)
    {
        public string Id { get; } = id;

        public long Size { get; set; } = size;

        public List<byte[]> Frontier { get; } = frontier;
    }

    private sealed record Row(AuditRecorded Event, DateTimeOffset OccurredAt, string LogId, long LeafIndex, byte[]? TargetSalt, byte[]? IpSalt, byte[]? UserAgentSalt, byte[]? DetailsSalt)
    {
        public static Row For(AuditRecorded e, string logId, long index) => new(e, LeafData.Truncate(e.OccurredAt.ToUniversalTime()), logId, index,
            e.Target is null ? null : LeafData.NewSalt(), e.Ip is null ? null : LeafData.NewSalt(),
            e.UserAgent is null ? null : LeafData.NewSalt(), e.Details is null ? null : LeafData.NewSalt());

        public LeafData.Fields Leaf() => new(Event.Id, OccurredAt, Event.OrganizationId, Event.Actor, Event.Action, Event.Outcome, Event.RequestId, Event.Region,
            LeafData.Commit(TargetSalt, Event.Target), LeafData.Commit(IpSalt, Event.Ip), LeafData.Commit(UserAgentSalt, Event.UserAgent), LeafData.CommitDetails(DetailsSalt, Event.Details));
    }
}
