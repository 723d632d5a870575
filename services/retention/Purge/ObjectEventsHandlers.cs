using Npgsql;
using Platform.Messaging;
using Platform.Retention.Events;

namespace Platform.Retention.Purge;

/// <summary>
/// Keeps <c>tracked_objects</c> from storage's events: what exists, of which class, since when (the event's time), and
/// what is gone (deleted, replaced, or its dataset deleted). Run in the inbox's transaction: each event applies once.
/// </summary>
internal sealed class ObjectStoredHandler : IIntegrationEventHandler<ObjectStored>
{
    public async Task HandleAsync(ObjectStored stored, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (stored.OrganizationId is not { } organizationId) return;
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO tracked_objects (object_id, organization_id, dataset_id, data_class, stored_at, stored_by) VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT (object_id) DO NOTHING
            """, context.Connection, context.Transaction))
        {
            foreach (var value in new object[] { stored.ObjectId, organizationId, stored.DatasetId, stored.DataClass, stored.OccurredAt, stored.StoredBy }) insert.Parameters.Add(new() { Value = value });
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }

        if (stored.ReplacedObjectId is { } replaced) await ObjectGone.MarkAsync("object_id", replaced, stored.OccurredAt, context, cancellationToken);
    }
}

/// <summary>
/// Deletions come in bursts (a closure or a purge deletes thousands at once): a batch is one statement, each object
/// marked gone at its own event's time (the earliest, should one come twice).
/// </summary>
internal sealed class ObjectDeletedHandler : IBatchIntegrationEventHandler<ObjectDeleted>
{
    public async Task HandleAsync(IReadOnlyList<ObjectDeleted> events, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand("""
            UPDATE tracked_objects t SET gone_at = d.at
            FROM (SELECT id, min(at) AS at FROM unnest($1::text[], $2::timestamptz[]) AS e(id, at) GROUP BY id) d
            WHERE t.object_id = d.id AND t.gone_at IS NULL
            """, context.Connection, context.Transaction);
        update.Parameters.Add(new() { Value = events.Select(e => e.ObjectId).ToArray() });
        update.Parameters.Add(new() { Value = events.Select(e => e.OccurredAt.ToUniversalTime()).ToArray() });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }
}

internal sealed class DatasetDeletedHandler : IIntegrationEventHandler<DatasetDeleted>
{
    public Task HandleAsync(DatasetDeleted deleted, IntegrationEventContext context, CancellationToken cancellationToken) =>
        ObjectGone.MarkAsync("dataset_id", deleted.DatasetId, deleted.OccurredAt, context, cancellationToken);
}

/// <summary>Marks a tracked object processed (the first mark counts): under a zero-retention policy the next pass asks for it.</summary>
internal sealed class ObjectProcessedHandler : IIntegrationEventHandler<ObjectProcessed>
{
    public async Task HandleAsync(ObjectProcessed processed, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var update = new NpgsqlCommand(
            "UPDATE tracked_objects SET processed_at = $3 WHERE object_id = $1 AND organization_id = $2 AND processed_at IS NULL AND gone_at IS NULL",
            context.Connection, context.Transaction);
        update.Parameters.Add(new() { Value = processed.ObjectId });
        update.Parameters.Add(new() { Value = processed.OrganizationId ?? "" });
        update.Parameters.Add(new() { Value = processed.OccurredAt });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }
}

internal static class ObjectGone
{
    public static async Task MarkAsync(string column, string id, DateTimeOffset at, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        // column is one of two constants above, never input.
        await using var update = new NpgsqlCommand($"UPDATE tracked_objects SET gone_at = $2 WHERE {column} = $1 AND gone_at IS NULL", context.Connection, context.Transaction);
        update.Parameters.Add(new() { Value = id });
        update.Parameters.Add(new() { Value = at });
        await update.ExecuteNonQueryAsync(cancellationToken);
    }
}
