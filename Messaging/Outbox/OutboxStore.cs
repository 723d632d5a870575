using Npgsql;
using NpgsqlTypes;

namespace Platform.Messaging.Outbox;

/// <summary>The SQL of the <c>outbox</c> table (created by <see cref="MessagingSchema"/>).</summary>
internal static class OutboxStore
{
    public const string NotificationChannel = "platform_outbox";

    /// <summary>
    /// Locks up to <paramref name="limit"/> due rows, oldest first. <c>SKIP LOCKED</c> lets several relays (replicas)
    /// share the table without waiting on, or sending, each other's rows. The ids are chosen first and the payloads
    /// read after: with stale statistics (a table that just grew) the planner would otherwise sort every unsent row,
    /// payload and all, to keep a few hundred.
    /// </summary>
    public static async Task<List<OutboxRow>> LockDueAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, DateTimeOffset now, int limit, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            WITH due AS (
                SELECT id FROM outbox
                WHERE sent_at IS NULL AND next_attempt_at <= @now
                ORDER BY id
                LIMIT @limit
                FOR UPDATE SKIP LOCKED
            )
            SELECT o.id, o.event_id, o.type, o.payload::text, o.trace_parent, o.trace_state, o.attempts, o.must_be_routed
            FROM outbox AS o JOIN due USING (id)
            ORDER BY o.id
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
        command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = limit });

        var rows = new List<OutboxRow>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new OutboxRow(
                reader.GetInt64(0),
                reader.GetString(1),
                reader.GetString(2),
                reader.GetString(3),
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.GetInt32(6),
                reader.GetBoolean(7)));
        }

        return rows;
    }

    public static async Task MarkSentAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<long> ids, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            "UPDATE outbox SET sent_at = @now, attempts = attempts + 1, last_error = NULL WHERE id = ANY(@ids)",
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<long[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. ids] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public static async Task MarkFailedAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<OutboxFailure> failures, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            UPDATE outbox AS o
            SET attempts = f.attempts, next_attempt_at = f.next_attempt_at, last_error = f.error
            FROM unnest(@ids, @attempts, @next, @errors) AS f(id, attempts, next_attempt_at, error)
            WHERE o.id = f.id
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<long[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { TypedValue = [.. failures.Select(f => f.Id)] });
        command.Parameters.Add(new NpgsqlParameter<int[]>("attempts", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. failures.Select(f => f.Attempts)] });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset[]>("next", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = [.. failures.Select(f => f.NextAttemptAt)] });
        command.Parameters.Add(new NpgsqlParameter<string[]>("errors", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. failures.Select(f => f.Error)] });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>When the earliest unsent row is due, if there is one.</summary>
    public static async Task<DateTimeOffset?> NextDueAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT min(next_attempt_at) FROM outbox WHERE sent_at IS NULL");
        return await command.ExecuteScalarAsync(cancellationToken) is DateTime due
            ? new DateTimeOffset(DateTime.SpecifyKind(due, DateTimeKind.Utc))
            : null;
    }

    /// <summary>Deletes up to <paramref name="limit"/> rows sent before <paramref name="cutoff"/>.</summary>
    public static async Task<int> PurgeSentAsync(NpgsqlDataSource dataSource, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM outbox WHERE id IN (SELECT id FROM outbox WHERE sent_at < @cutoff ORDER BY id LIMIT @limit)");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = cutoff });
        command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
