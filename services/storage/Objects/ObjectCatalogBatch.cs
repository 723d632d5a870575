using Npgsql;
using NpgsqlTypes;
using Platform.Messaging;

namespace Platform.Storage.Objects;

/// <summary>Many uploads' rows in one transaction (group commit, <see cref="UploadCommitter"/>).</summary>
internal sealed partial class ObjectCatalog
{
    /// <summary>
    /// Records many fully written objects in one transaction and four round trips, with the outcome each would have
    /// had alone, in list order: a row whose dataset is gone, or that may not replace a same-named object's class, is
    /// not written; a later row of the same name replaces an earlier one. Throws when the transaction fails as a whole
    /// (a conflict of any row): then nothing of the batch is written, and the caller tries each row alone. A row whose
    /// organization's keys were destroyed before it committed fails (<see cref="Keys.KeyUnavailableException"/>).
    /// </summary>
    public async Task<RowResult[]> InsertObjectsAsync(IReadOnlyList<NewObjectRow> rows, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        var names = rows.Select(r => (r.Stored.DatasetId, r.Stored.Name)).Distinct().ToArray();
        var live = new HashSet<string>(StringComparer.Ordinal);
        var existing = new Dictionary<(string DatasetId, string Name), (string DataClass, string Id, string BlobKey)>();
        await using (var locks = new NpgsqlBatch(connection, transaction))
        {
            // The same locks as one row takes alone (the dataset shared, a same-named object for update), in a fixed order.
            locks.BatchCommands.Add(Command("SELECT id FROM datasets WHERE id = ANY($1) ORDER BY id FOR SHARE",
                rows.Select(r => r.Stored.DatasetId).Distinct().ToArray()));
            locks.BatchCommands.Add(Command("""
                SELECT o.dataset_id, o.name, o.data_class, o.id, o.blob_key
                FROM objects o JOIN unnest($1::text[], $2::text[]) AS n (dataset_id, name) ON o.dataset_id = n.dataset_id AND o.name = n.name
                ORDER BY o.id FOR UPDATE OF o
                """, names.Select(n => n.DatasetId).ToArray(), names.Select(n => n.Name).ToArray()));
            await using var reader = await locks.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) live.Add(reader.GetString(0));
            await reader.NextResultAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                existing[(reader.GetString(0), reader.GetString(1))] = (reader.GetString(2), reader.GetString(3), reader.GetString(4));
            }
        }

        // Every data key use handed out since the last batch is counted here (OrganizationKeyRing.ForDataKeyAsync), and a
        // row whose organization's keys or key version were destroyed meanwhile is not written.
        var (usable, drained) = await ring.CountUsesAsync(rows.Select(r => (r.Stored.OrganizationId, r.Stored.KeyVersion)), connection, transaction, cancellationToken);
        try
        {
            var results = await WriteRowsAsync(rows, usable, live, existing, connection, transaction, cancellationToken);
            await transaction.CommitAsync(cancellationToken);
            return results;
        }
        catch
        {
            ring.Uncount(drained);
            throw;
        }
    }

    private async Task<RowResult[]> WriteRowsAsync(
        IReadOnlyList<NewObjectRow> rows, HashSet<(string, int)> usable, HashSet<string> live,
        Dictionary<(string DatasetId, string Name), (string DataClass, string Id, string BlobKey)> existing,
        NpgsqlConnection connection, NpgsqlTransaction transaction, CancellationToken cancellationToken)
    {
        var results = new RowResult[rows.Count];
        var holder = new Dictionary<(string, string), int>();
        var classes = existing.ToDictionary(e => e.Key, e => e.Value.DataClass);
        var events = new List<IntegrationEvent>(rows.Count * 2);
        for (var i = 0; i < rows.Count; i++)
        {
            var (stored, change, mayReplace) = rows[i];
            var name = (stored.DatasetId, stored.Name);
            if (!usable.Contains((stored.OrganizationId, stored.KeyVersion)))
            {
                results[i] = new(default, null, new Keys.KeyUnavailableException(Keys.KeyUnavailableReason.Destroyed));
                continue;
            }

            if (!live.Contains(stored.DatasetId))
            {
                results[i] = new(InsertOutcome.DatasetGone, null, null);
                continue;
            }

            if (classes.TryGetValue(name, out var dataClass) && !mayReplace(dataClass))
            {
                results[i] = new(InsertOutcome.ReplacementRefused, null, null);
                continue;
            }

            var (replacedId, replacedBlob) = holder.TryGetValue(name, out var earlier) ? (rows[earlier].Stored.Id, rows[earlier].Stored.BlobKey)
                : existing.TryGetValue(name, out var row) ? (row.Id, row.BlobKey) : ((string?)null, (string?)null);
            holder[name] = i;
            classes[name] = stored.DataClass;
            events.AddRange(StoredEvents(stored, change, replacedId));
            results[i] = new(InsertOutcome.Stored, replacedBlob, null);
        }

        if (holder.Count == 0) return results;
        var kept = holder.Values.Order().Select(i => rows[i].Stored).ToArray();
        await using (var write = new NpgsqlBatch(connection, transaction))
        {
            write.BatchCommands.Add(Command("DELETE FROM objects WHERE id = ANY($1)",
                existing.Where(e => holder.ContainsKey(e.Key)).Select(e => e.Value.Id).ToArray()));
            var insert = Command("""
                INSERT INTO objects (id, dataset_id, organization_id, name, data_class, size, content_type, key_version, wrapped_dek, blob_key, created_at, created_by)
                SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::bigint[], $7::text[], $8::integer[], $9::bytea[], $10::text[], $11::timestamptz[], $12::text[])
                """,
                kept.Select(s => s.Id).ToArray(), kept.Select(s => s.DatasetId).ToArray(), kept.Select(s => s.OrganizationId).ToArray(),
                kept.Select(s => s.Name).ToArray(), kept.Select(s => s.DataClass).ToArray(), kept.Select(s => s.Size).ToArray(),
                kept.Select(s => s.ContentType).ToArray(), kept.Select(s => s.KeyVersion).ToArray());
            insert.Parameters.Add(new() { Value = kept.Select(s => s.WrappedDataKey).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Bytea });
            insert.Parameters.Add(new() { Value = kept.Select(s => s.BlobKey).ToArray() });
            insert.Parameters.Add(new() { Value = kept.Select(s => s.CreatedAt).ToArray() });
            insert.Parameters.Add(new() { Value = kept.Select(s => s.CreatedBy).ToArray() });
            write.BatchCommands.Add(insert);
            await write.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(events, transaction, cancellationToken);
        return results;
    }

    private static NpgsqlBatchCommand Command(string sql, params Array[] values)
    {
        var command = new NpgsqlBatchCommand(sql);
        foreach (var value in values) command.Parameters.Add(new() { Value = value });
        return command;
    }
}
