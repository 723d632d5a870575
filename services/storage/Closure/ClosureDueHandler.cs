using System.Globalization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Storage.Blobs;
using Platform.Storage.Events;
using Platform.Storage.Keys;

namespace Platform.Storage.Closure;

/// <summary>
/// Deletes a closed organization's data in this region once its grace period is over (SPEC RET-CLOSE), in the inbox's
/// transaction: every object and dataset that no legal hold covers (a held dataset, data class or user's uploads; an
/// organization hold keeps everything), their blobs, its residency fence; then, if nothing held is left here, destroys
/// the organization's key (crypto-shred: backups and any copy become unreadable). Answers one
/// <c>organization.closure-answered</c> with the counts, the held items and the destroyed key. Safe to run again: a
/// repeated request deletes what is left (nothing) and finds the key destroyed.
/// </summary>
internal sealed partial class ClosureDueHandler(
    IOptions<StorageOptions> options, IConfiguration configuration, IBlobStore blobs, KeyAdministration keys, IOutbox outbox, TimeProvider time, ILogger<ClosureDueHandler> logger)
    : IIntegrationEventHandler<ClosureDue>
{
    public const string Actor = "retention:closure";
    private const int MaxListedHeld = 1000;

    public async Task HandleAsync(ClosureDue due, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (due.OrganizationId is not { } organizationId) return;
        var region = options.Value.Region;
        var holds = due.Holds;
        var deleted = new Dictionary<string, long>();
        var blobKeys = new List<string>();
        var now = time.GetUtcNow();
        var events = new List<IntegrationEvent>();
        await MarkClosedAsync(organizationId, due, context, cancellationToken);

        if (!holds.Organization)
        {
            await using (var objects = new NpgsqlCommand("""
                DELETE FROM objects o USING datasets d
                WHERE o.organization_id = $1 AND d.id = o.dataset_id AND d.region = $2
                  AND o.dataset_id <> ALL($3) AND o.data_class <> ALL($4) AND o.created_by <> ALL($5)
                RETURNING o.blob_key, o.size, o.id, o.dataset_id, o.data_class
                """, context.Connection, context.Transaction))
            {
                AddScope(objects, organizationId, region, holds);
                long bytes = 0;
                await using var reader = await objects.ExecuteReaderAsync(cancellationToken);
                while (await reader.ReadAsync(cancellationToken))
                {
                    blobKeys.Add(reader.GetString(0));
                    bytes += reader.GetInt64(1);
                    // One object.deleted per object, as every other deletion announces it (retention's tracking, the product's indexes).
                    events.Add(new ObjectDeleted
                    {
                        OrganizationId = organizationId, OccurredAt = now, DatasetId = reader.GetString(3), ObjectId = reader.GetString(2), DataClass = reader.GetString(4),
                        Region = region, DeletedBy = Actor,
                    });
                }

                deleted["objects"] = blobKeys.Count;
                deleted["bytes"] = bytes;
            }

            await using (var datasets = new NpgsqlCommand("""
                DELETE FROM datasets d WHERE d.organization_id = $1 AND d.region = $2 AND d.id <> ALL($3)
                  AND NOT EXISTS (SELECT 1 FROM objects o WHERE o.dataset_id = d.id)
                """, context.Connection, context.Transaction))
            {
                datasets.Parameters.Add(new() { Value = organizationId });
                datasets.Parameters.Add(new() { Value = region });
                datasets.Parameters.Add(new() { Value = holds.Datasets.ToArray() });
                deleted["datasets"] = await datasets.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var fence = new NpgsqlCommand("DELETE FROM residency_fences WHERE organization_id = $1", context.Connection, context.Transaction);
            fence.Parameters.Add(new() { Value = organizationId });
            deleted["residencyFences"] = await fence.ExecuteNonQueryAsync(cancellationToken);
        }

        var (held, heldTotal) = await HeldAsync(organizationId, holds, context, cancellationToken);
        string? destroyedKey = null;
        if (heldTotal == 0)
        {
            destroyedKey = await ShredAsync(organizationId, due.ClosureId, cancellationToken);
        }
        else
        {
            held.Insert(0, new ClosureHeldItem("organization-key", organizationId, $"kept in {region}: the held items are encrypted under it"));
            heldTotal++;
        }

        // Every held item counted; at most MaxListedHeld listed (the count says how many the list leaves out).
        deleted["heldItems"] = heldTotal;
        deleted["heldItemsListed"] = Math.Min(held.Count, MaxListedHeld);
        events.Add(new ClosureAnswered
        {
            OrganizationId = organizationId, OccurredAt = now, ClosureId = due.ClosureId, Participant = Extensions.QueueName(configuration),
            Deleted = deleted, Held = held.Take(MaxListedHeld).ToList(), DestroyedKey = destroyedKey,
        });
        await outbox.EnqueueAsync(events, context.Transaction, cancellationToken);
        foreach (var blobKey in blobKeys) await blobs.DeleteAsync(blobKey, CancellationToken.None);
        LogDeleted(logger, due.ClosureId, organizationId, region, blobKeys.Count, heldTotal, destroyedKey is not null);
    }

    // From now on the organization is closed here: no change is accepted again, whatever comes later.
    private static async Task MarkClosedAsync(string organizationId, ClosureDue due, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            INSERT INTO closing_organizations (organization_id, closure_id, status, grace_ends_at, recorded_at) VALUES ($1, $2, 'closed', $3, $3)
            ON CONFLICT (organization_id) DO UPDATE SET closure_id = EXCLUDED.closure_id, status = 'closed'
            """, context.Connection, context.Transaction);
        foreach (var value in new object[] { organizationId, due.ClosureId, due.OccurredAt }) command.Parameters.Add(new() { Value = value });
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private async Task<(List<ClosureHeldItem> Listed, long Total)> HeldAsync(string organizationId, ClosureHolds holds, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        // Whatever of the organization is still in this database was kept by a hold; each names the hold that covers it.
        await using var command = new NpgsqlCommand($"""
            SELECT kind, id, reason, count(*) OVER () FROM (
            SELECT 'object' AS kind, o.id AS id, CASE WHEN $6 THEN 'legal hold on the organization'
                                        WHEN o.dataset_id = ANY($3) THEN 'legal hold on dataset ' || o.dataset_id
                                        WHEN o.data_class = ANY($4) THEN 'legal hold on data class ' || o.data_class
                                        ELSE 'legal hold on the data of ' || o.created_by END AS reason
            FROM objects o JOIN datasets d ON d.id = o.dataset_id WHERE o.organization_id = $1 AND d.region = $2
            UNION ALL
            SELECT 'dataset', d.id, CASE WHEN $6 THEN 'legal hold on the organization' WHEN d.id = ANY($3) THEN 'legal hold on the dataset' ELSE 'holds held objects' END
            FROM datasets d WHERE d.organization_id = $1 AND d.region = $2
            ) AS held ORDER BY kind DESC, id LIMIT {MaxListedHeld}
            """, context.Connection, context.Transaction);
        AddScope(command, organizationId, options.Value.Region, holds);
        command.Parameters.Add(new() { Value = holds.Organization });
        var held = new List<ClosureHeldItem>();
        long total = 0;
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            held.Add(new ClosureHeldItem(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
            total = reader.GetInt64(3);
        }

        return (held, total);
    }

    private async Task<string?> ShredAsync(string organizationId, string closureId, CancellationToken cancellationToken)
    {
        try
        {
            return await keys.DestroyAsync(organizationId, Actor, $"account closure {closureId}", cancellationToken) is { } receipt
                ? string.Create(CultureInfo.InvariantCulture, $"organization key of {organizationId} in {receipt.Region}: versions {string.Join(',', receipt.VersionsDestroyed)} destroyed")
                : null;
        }
        catch (KeyUnavailableException)
        {
            // Destroyed before: by an earlier attempt of this closure, or an operator's crypto-shred.
            return $"organization key of {organizationId} in {options.Value.Region}: destroyed before";
        }
    }

    private static void AddScope(NpgsqlCommand command, string organizationId, string region, ClosureHolds holds)
    {
        foreach (var value in new object[] { organizationId, region, holds.Datasets.ToArray(), holds.DataClasses.ToArray(), holds.Users.ToArray() })
            command.Parameters.Add(new() { Value = value });
    }

    [LoggerMessage(EventId = 5501, Level = LogLevel.Warning, Message = "Closure {ClosureId} of {OrganizationId} in {Region}: {Objects} objects deleted, {Held} items held, key destroyed: {Shredded}")]
    private static partial void LogDeleted(ILogger logger, string closureId, string organizationId, string region, int objects, long held, bool shredded);
}
