using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Storage.Blobs;

namespace Platform.Storage.Events;

/// <summary>
/// Deletes what retention found expired (SPEC RET-PURGE), inside the inbox's transaction: an object is deleted only
/// when it is the requesting organization's, in this region and of the requested class (else <c>refused</c>: a purge
/// for another organization's item changes nothing); its row goes with its wrapped data key, so its ciphertext is
/// unreadable from the commit on, and its blob is removed (a blob left by a crash is the orphan sweeper's). Each
/// deletion is an <c>object.deleted</c> event, and the answer one <c>purge.completed</c>, in the same transaction.
/// </summary>
internal sealed partial class PurgeRequestedHandler(IOptions<StorageOptions> options, IBlobStore blobs, IOutbox outbox, TimeProvider time, ILogger<PurgeRequestedHandler> logger)
    : IIntegrationEventHandler<PurgeRequested>
{
    public const string Actor = "retention:purge";

    public async Task HandleAsync(PurgeRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.Owner != "storage" || request.OrganizationId is not { } organizationId) return;
        var now = time.GetUtcNow();
        var outcomes = new List<PurgeOutcome>();
        var deleted = new List<IntegrationEvent>();
        var blobKeys = new List<string>();
        // Every region's storage gets each request (a queue per region): each answers for the items pinned to it, and for
        // unpinned (older) ids only when it holds them, so an item is never reported absent by a region that never had it.
        foreach (var item in request.Items)
        {
            var pinned = Model.ObjectIds.RegionOf(item.ItemId);
            if (pinned is not null && pinned != options.Value.Region) continue;
            await using var delete = new NpgsqlCommand("""
                DELETE FROM objects o USING datasets d
                WHERE o.id = $1 AND o.organization_id = $2 AND o.data_class = $3 AND d.id = o.dataset_id AND d.region = $4
                RETURNING o.dataset_id, o.blob_key, o.key_version
                """, context.Connection, context.Transaction);
            foreach (var value in new object[] { item.ItemId, organizationId, item.DataClass, options.Value.Region }) delete.Parameters.Add(new() { Value = value });
            // The reader is disposed once, before the next command on this connection (which reuses it).
            (string DatasetId, string BlobKey, int KeyVersion)? row = null;
            await using (var reader = await delete.ExecuteReaderAsync(cancellationToken))
            {
                if (await reader.ReadAsync(cancellationToken)) row = (reader.GetString(0), reader.GetString(1), reader.GetInt32(2));
            }

            if (row is var (datasetId, blobKey, keyVersion))
            {
                outcomes.Add(new PurgeOutcome(item.ItemId, PurgeOutcomes.Deleted, now, $"object data key of {item.ItemId} (wrapped under organization key v{keyVersion})"));
                deleted.Add(new ObjectDeleted
                {
                    OrganizationId = organizationId, OccurredAt = now, DatasetId = datasetId, ObjectId = item.ItemId, DataClass = item.DataClass, Region = options.Value.Region, DeletedBy = Actor,
                });
                blobKeys.Add(blobKey);
                continue;
            }

            var exists = await ExistsAsync(item.ItemId, context, cancellationToken);
            if (pinned is null && !exists) continue;
            outcomes.Add(new PurgeOutcome(item.ItemId, exists ? PurgeOutcomes.Refused : PurgeOutcomes.Absent, null, null));
        }

        if (outcomes.Count == 0) return;

        deleted.Add(new PurgeCompleted { OrganizationId = organizationId, OccurredAt = now, PurgeId = request.PurgeId, Owner = "storage", Items = outcomes });
        await outbox.EnqueueAsync(deleted, context.Transaction, cancellationToken);
        foreach (var blobKey in blobKeys) await blobs.DeleteAsync(blobKey, CancellationToken.None);
        LogPurged(logger, request.PurgeId, organizationId, blobKeys.Count, outcomes.Count(o => o.Outcome == PurgeOutcomes.Refused));
    }

    private static async Task<bool> ExistsAsync(string objectId, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var exists = new NpgsqlCommand("SELECT EXISTS (SELECT 1 FROM objects WHERE id = $1)", context.Connection, context.Transaction);
        exists.Parameters.Add(new() { Value = objectId });
        return (bool)(await exists.ExecuteScalarAsync(cancellationToken))!;
    }

    [LoggerMessage(EventId = 5401, Level = LogLevel.Information, Message = "Purge {PurgeId} of {OrganizationId}: {Deleted} objects deleted, {Refused} refused")]
    private static partial void LogPurged(ILogger logger, string purgeId, string organizationId, int deleted, int refused);
}
