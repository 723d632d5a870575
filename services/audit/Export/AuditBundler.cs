using System.Buffers;
using System.IO.Pipelines;
using System.Text.Json;
using Npgsql;
using Platform.Audit.Log;

namespace Platform.Audit.Export;

/// <summary>
/// Streams an organization's export bundle (README "Export bundle"): what <c>platformctl audit verify</c> needs to
/// verify the log offline against a signed checkpoint and a public key. NDJSON: a header (the checkpoint note, where
/// the kept leaves begin and the subtrees standing for the pruned ones), the leaf hashes stored when entries were
/// appended, then every row that claims a place in the tree of the checkpoint, or belongs to the organization and
/// has none, with its leaf data and the salts of its personal fields. Keyset pages of <see cref="PageSize"/> rows, the connection
/// given back before a page is written, as the export does.
/// </summary>
internal sealed class AuditBundler(NpgsqlDataSource dataSource, LogStore store)
{
    public const string Format = "platform.dev/audit-bundle/v1";
    public const int PageSize = 2000;
    public const int HashesPerLine = 1000;
    private static readonly JsonWriterOptions options = new() { SkipValidation = true };

    /// <summary>The number of entry rows written.</summary>
    public async Task<long> WriteAsync(string logId, string origin, StoredCheckpoint checkpoint, PipeWriter output, CancellationToken cancellationToken)
    {
        var (start, prefix) = await store.PrunedPrefixAsync(logId, cancellationToken);
        var buffer = new ArrayBufferWriter<byte>(256 * 1024);
        using var json = new Utf8JsonWriter(buffer, options);
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteString("origin", origin);
        json.WriteString("checkpoint", checkpoint.Note);
        json.WriteNumber("treeSize", checkpoint.TreeSize);
        json.WriteNumber("start", start);
        json.WriteStartArray("prefix");
        foreach (var hash in prefix) json.WriteBase64StringValue(hash);
        json.WriteEndArray();
        json.WriteEndObject();
        EndLine(json, buffer);

        // The stored leaf hashes, in pages read from the (log_id, level, index) key.
        for (var from = start; from < checkpoint.TreeSize; from += PageSize)
        {
            var to = Math.Min(from + PageSize, checkpoint.TreeSize);
            var hashes = await store.LeafHashesAsync(logId, from, to, cancellationToken);
            for (var line = 0; line < hashes.Length; line += HashesPerLine)
            {
                json.WriteStartObject();
                json.WriteNumber("leaves", from + line);
                json.WriteStartArray("hashes");
                foreach (var hash in hashes.AsSpan(line, Math.Min(HashesPerLine, hashes.Length - line)))
                {
                    if (hash is null) json.WriteNullValue();
                    else json.WriteBase64StringValue(hash);
                }

                json.WriteEndArray();
                json.WriteEndObject();
                EndLine(json, buffer);
            }

            if (!await FlushAsync(buffer, output, cancellationToken)) return 0;
        }

        long rows = 0;
        foreach (var appended in new[] { true, false })
        {
            (long LeafIndex, long Id) after = (long.MinValue, long.MinValue);
            while (true)
            {
                var count = 0;
                await using (var command = Page(logId, appended, checkpoint.TreeSize, after))
                await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
                {
                    while (await reader.ReadAsync(cancellationToken))
                    {
                        WriteEntry(json, reader);
                        EndLine(json, buffer);
                        after = (reader.IsDBNull(2) ? 0 : reader.GetInt64(2), reader.GetInt64(0));
                        count++;
                    }
                }

                rows += count;
                if (!await FlushAsync(buffer, output, cancellationToken)) return rows;
                if (count < PageSize) break;
            }
        }

        return rows;
    }

    /// <summary>Rows that claim a leaf of the checkpoint's tree (also a pruned one: never appended), or rows of the log's organization stored after the logs began that claim none.</summary>
    private NpgsqlCommand Page(string logId, bool appended, long treeSize, (long LeafIndex, long Id) after)
    {
        var command = dataSource.CreateCommand(appended
            ? $"""
               SELECT {LogStore.EntryColumns} FROM audit_events
               WHERE log_id = $1 AND leaf_index < $2 AND (leaf_index, id) > ($3, $4) ORDER BY leaf_index, id LIMIT {PageSize}
               """
            : $"""
               SELECT {LogStore.EntryColumns} FROM audit_events
               WHERE leaf_index IS NULL AND coalesce(organization_id, '') = $1 AND id >= (SELECT before_id FROM audit_log_genesis)
                 AND $2 >= 0 AND $3 >= 0 AND id > $4 ORDER BY id LIMIT {PageSize}
               """);
        command.Parameters.Add(new() { Value = logId });
        command.Parameters.Add(new() { Value = treeSize });
        command.Parameters.Add(new() { Value = appended ? after.LeafIndex : 0L });
        command.Parameters.Add(new() { Value = after.Id });
        return command;
    }

    /// <summary>
    /// One row: its readable fields, the salts of its personal fields (so the reader checks each against the
    /// commitment in the leaf) and the commitments of erased ones.
    /// </summary>
    private static void WriteEntry(Utf8JsonWriter json, NpgsqlDataReader reader)
    {
        json.WriteStartObject();
        json.WriteBase64String("leafData", LeafData.Serialize(LogStore.Read(reader).Leaf));
        if (reader.IsDBNull(2)) json.WriteNull("leafIndex");
        else json.WriteNumber("leafIndex", reader.GetInt64(2));
        json.WriteString("eventId", reader.GetString(1));
        json.WriteNumber("occurredAt", LeafData.Microseconds(reader.GetFieldValue<DateTimeOffset>(3)));
        Text(json, "organizationId", reader, 4);
        Text(json, "actor", reader, 5);
        Text(json, "action", reader, 6);
        Text(json, "outcome", reader, 7);
        Text(json, "requestId", reader, 8);
        Text(json, "region", reader, 9);
        Text(json, "target", reader, 10);
        Text(json, "ip", reader, 12);
        Text(json, "userAgent", reader, 14);
        json.WritePropertyName("details");
        if (reader.IsDBNull(16)) json.WriteNullValue();
        else json.WriteRawValue(reader.GetString(16), skipInputValidation: true);
        json.WriteStartObject("salts");
        foreach (var (name, ordinal) in new[] { ("target", 11), ("ip", 13), ("userAgent", 15), ("details", 17) })
        {
            if (!reader.IsDBNull(ordinal)) json.WriteBase64String(name, reader.GetFieldValue<byte[]>(ordinal));
        }

        json.WriteEndObject();
        json.WritePropertyName("erased");
        if (reader.IsDBNull(18)) json.WriteNullValue();
        else json.WriteRawValue(reader.GetString(18), skipInputValidation: true);
        json.WriteEndObject();
    }

    private static void Text(Utf8JsonWriter json, string name, NpgsqlDataReader reader, int ordinal)
    {
        if (reader.IsDBNull(ordinal)) json.WriteNull(name);
        else json.WriteString(name, reader.GetString(ordinal));
    }

    private static void EndLine(Utf8JsonWriter json, ArrayBufferWriter<byte> buffer)
    {
        json.Flush();
        buffer.Write("\n"u8);
        json.Reset(buffer);
    }

    private static async Task<bool> FlushAsync(ArrayBufferWriter<byte> buffer, PipeWriter output, CancellationToken cancellationToken)
    {
        if (buffer.WrittenCount == 0) return true;
        var flushed = await output.WriteAsync(buffer.WrittenMemory, cancellationToken);
        buffer.ResetWrittenCount();
        return !(flushed.IsCanceled || flushed.IsCompleted);
    }
}
