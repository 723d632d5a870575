using Npgsql;
using NpgsqlTypes;

namespace Platform.Messaging.Consuming;

/// <summary>The <c>inbox</c> table: the ids of the events this service has applied.</summary>
internal static class Inbox
{
    /// <summary>
    /// Records the events' ids in the caller's transaction and returns the ids not recorded before. A concurrent
    /// transaction claiming the same id waits for this one, then sees a conflict: one of them applies the event.
    /// </summary>
    public static async Task<HashSet<string>> ClaimAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, IReadOnlyList<IntegrationEvent> events, string type, DateTimeOffset now, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(
            """
            INSERT INTO inbox (event_id, type, processed_at)
            SELECT id, @type, @now FROM unnest(@ids) AS e(id)
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
            """,
            connection,
            transaction);
        command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. events.Select(e => e.Id)] });
        command.Parameters.Add(new NpgsqlParameter<string>("type", NpgsqlDbType.Text) { TypedValue = type });
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("now", NpgsqlDbType.TimestampTz) { TypedValue = now });

        var fresh = new HashSet<string>(StringComparer.Ordinal);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            fresh.Add(reader.GetString(0));
        }

        return fresh;
    }

    public static async Task<int> PurgeAsync(NpgsqlDataSource dataSource, DateTimeOffset cutoff, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            "DELETE FROM inbox WHERE event_id IN (SELECT event_id FROM inbox WHERE processed_at < @cutoff LIMIT @limit)");
        command.Parameters.Add(new NpgsqlParameter<DateTimeOffset>("cutoff", NpgsqlDbType.TimestampTz) { TypedValue = cutoff });
        command.Parameters.Add(new NpgsqlParameter<int>("limit", NpgsqlDbType.Integer) { TypedValue = limit });
        return await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
