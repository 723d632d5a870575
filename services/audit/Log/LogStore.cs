using System.Runtime.CompilerServices;
using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Platform.Audit.Log;

/// <summary>An entry as stored: where it stands in its log (null: not appended) and its leaf as re-computed from the row.</summary>
internal sealed record StoredEntry(long RowId, string EventId, long? LeafIndex, LeafData.Fields Leaf);

/// <summary>A signed checkpoint as stored.</summary>
internal sealed record StoredCheckpoint(string LogId, long TreeSize, byte[] RootHash, string Note, DateTimeOffset SignedAt);

/// <summary>Reads the logs, their subtrees and checkpoints; erases personal fields without touching the leaves.</summary>
internal sealed class LogStore(NpgsqlDataSource dataSource)
{
    public const string EntryColumns = """
        id, event_id, leaf_index, occurred_at, organization_id, actor, action, outcome, request_id, region,
        target, target_salt, ip, ip_salt, user_agent, user_agent_salt, details, details_salt, erased
        """;

    private static readonly string[] PersonalFields = ["target", "ip", "user_agent", "details"];

    /// <summary>The log's current size and right edge, or null when it has never had an entry nor a checkpoint.</summary>
    public async Task<(long Size, List<byte[]> Frontier)?> LogAsync(string logId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT size, frontier FROM audit_logs WHERE log_id = $1");
        command.Parameters.Add(new() { Value = logId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? (reader.GetInt64(0), LogIds.SplitFrontier(reader.GetFieldValue<byte[]>(1))) : null;
    }

    public async Task<StoredCheckpoint?> LatestCheckpointAsync(string logId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "SELECT log_id, tree_size, root_hash, note, signed_at FROM audit_checkpoints WHERE log_id = $1 ORDER BY id DESC LIMIT 1");
        command.Parameters.Add(new() { Value = logId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken)
            ? new StoredCheckpoint(reader.GetString(0), reader.GetInt64(1), reader.GetFieldValue<byte[]>(2), reader.GetString(3), reader.GetFieldValue<DateTimeOffset>(4))
            : null;
    }

    /// <summary>The appended entry <paramref name="eventId"/> of this log; null when it is absent or in another log.</summary>
    public async Task<StoredEntry?> EntryAsync(string logId, string eventId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"SELECT {EntryColumns} FROM audit_events WHERE event_id = $1 AND log_id = $2 AND leaf_index IS NOT NULL");
        command.Parameters.Add(new() { Value = eventId });
        command.Parameters.Add(new() { Value = logId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
    }

    /// <summary>
    /// Every row that claims a place in the log, in leaf order, then rows of the log's organization stored after
    /// the log began that have none (the log never saw them).
    /// </summary>
    public async IAsyncEnumerable<StoredEntry> EntriesAsync(string logId, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {EntryColumns} FROM audit_events
            WHERE log_id = $1
               OR (leaf_index IS NULL AND coalesce(organization_id, '') = $1 AND id >= (SELECT before_id FROM audit_log_genesis))
            ORDER BY leaf_index NULLS LAST, id
            """);
        command.Parameters.Add(new() { Value = logId });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) yield return Read(reader);
    }

    /// <summary>The stored leaf hashes start … size-1 (null where one is missing).</summary>
    public async Task<byte[]?[]> LeafHashesAsync(string logId, long start, long size, CancellationToken cancellationToken)
    {
        var hashes = new byte[]?[Math.Max(0, size - start)];
        await using var command = dataSource.CreateCommand("SELECT index, hash FROM audit_log_nodes WHERE log_id = $1 AND level = 0 AND index >= $2 AND index < $3");
        command.Parameters.Add(new() { Value = logId });
        command.Parameters.Add(new() { Value = start });
        command.Parameters.Add(new() { Value = size });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) hashes[reader.GetInt64(0) - start] = reader.GetFieldValue<byte[]>(1);
        return hashes;
    }

    /// <summary>
    /// Where the log's kept leaves begin (README "Retention") and the complete subtrees that stand for the pruned
    /// leaves before, largest first: the log's right edge as it was at that size.
    /// </summary>
    public async Task<(long Start, List<byte[]> Prefix)> PrunedPrefixAsync(string logId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT pruned_before FROM audit_logs WHERE log_id = $1");
        command.Parameters.Add(new() { Value = logId });
        var start = await command.ExecuteScalarAsync(cancellationToken) is long pruned ? pruned : 0;
        if (start == 0) return (0, []);
        var wanted = MerkleTree.Frontier(start);
        var nodes = await NodesAsync(logId, wanted, cancellationToken);
        return (start, [.. wanted.Select(w => nodes.TryGetValue(w, out var hash) ? hash : throw new InvalidDataException($"The pruned log {logId} lost its subtree {w}."))]);
    }

    public async Task<IReadOnlyDictionary<(int, long), byte[]>> NodesAsync(string logId, IReadOnlyCollection<(int Level, long Index)> wanted, CancellationToken cancellationToken)
    {
        var nodes = new Dictionary<(int, long), byte[]>();
        if (wanted.Count == 0) return nodes;
        await using var command = dataSource.CreateCommand(
            "SELECT n.level, n.index, n.hash FROM audit_log_nodes n JOIN unnest($2::int[], $3::bigint[]) AS w(level, index) ON n.level = w.level AND n.index = w.index WHERE n.log_id = $1");
        command.Parameters.Add(new() { Value = logId });
        command.Parameters.Add(new() { Value = wanted.Select(w => w.Level).ToArray() });
        command.Parameters.Add(new() { Value = wanted.Select(w => w.Index).ToArray() });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) nodes[(reader.GetInt32(0), reader.GetInt64(1))] = reader.GetFieldValue<byte[]>(2);
        return nodes;
    }

    /// <summary>
    /// Erases an entry's personal fields (target, IP, user agent, details): value and salt go, the commitment the
    /// leaf holds stays in <c>erased</c>, so the log still verifies. Returns whether the entry exists.
    /// </summary>
    public async Task<bool> ErasePersonalDataAsync(string eventId, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        StoredEntry? entry;
        await using (var select = new NpgsqlCommand($"SELECT {EntryColumns} FROM audit_events WHERE event_id = $1 FOR UPDATE", connection, transaction))
        {
            select.Parameters.Add(new() { Value = eventId });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            entry = await reader.ReadAsync(cancellationToken) ? Read(reader) : null;
        }

        if (entry is null) return false;
        await EraseAsync(entry, connection, transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return true;
    }

    /// <summary>
    /// Erases <paramref name="entry"/>'s personal fields (value and salt) keeping the commitments its leaf needs, in the
    /// caller's transaction; used by <see cref="ErasePersonalDataAsync"/> and by data-subject erasure.
    /// </summary>
    public static async Task EraseAsync(StoredEntry entry, NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var commitments = new Dictionary<string, string>();
        foreach (var (field, commitment) in PersonalFields.Zip([entry.Leaf.Target, entry.Leaf.Ip, entry.Leaf.UserAgent, entry.Leaf.Details]))
        {
            if (commitment is not null) commitments[field] = Convert.ToBase64String(commitment);
        }

        await using var update = new NpgsqlCommand("""
            UPDATE audit_events SET target = NULL, target_salt = NULL, ip = NULL, ip_salt = NULL, user_agent = NULL, user_agent_salt = NULL,
                                    details = NULL, details_salt = NULL, erased = $2
            WHERE id = $1
            """, connection, transaction);
        update.Parameters.Add(new() { Value = entry.RowId });
        update.Parameters.Add(new() { Value = JsonSerializer.Serialize(commitments), NpgsqlDbType = NpgsqlDbType.Jsonb });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }

    public static StoredEntry Read(NpgsqlDataReader reader)
    {
        var erased = reader.IsDBNull(18) ? null : JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(18));
        byte[]? Commitment(string field, int value, int salt, Func<byte[], byte[]?> commit)
        {
            if (!reader.IsDBNull(value) && !reader.IsDBNull(salt)) return commit(reader.GetFieldValue<byte[]>(salt));
            return erased is not null && erased.TryGetValue(field, out var stored) ? Convert.FromBase64String(stored) : null;
        }

        var leaf = new LeafData.Fields(
            reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(3), Text(reader, 4), reader.GetString(5), reader.GetString(6), reader.GetString(7),
            Text(reader, 8), Text(reader, 9),
            Commitment("target", 10, 11, salt => LeafData.Commit(salt, reader.GetString(10))),
            Commitment("ip", 12, 13, salt => LeafData.Commit(salt, reader.GetString(12))),
            Commitment("user_agent", 14, 15, salt => LeafData.Commit(salt, reader.GetString(14))),
            Commitment("details", 16, 17, salt => LeafData.CommitDetails(salt, JsonSerializer.Deserialize<Dictionary<string, string>>(reader.GetString(16)))));
        return new StoredEntry(reader.GetInt64(0), reader.GetString(1), reader.IsDBNull(2) ? null : reader.GetInt64(2), leaf);
    }

    private static string? Text(NpgsqlDataReader reader, int ordinal) => reader.IsDBNull(ordinal) ? null : reader.GetString(ordinal);
}
