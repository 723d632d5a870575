using System.Collections.Concurrent;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Security.Authentication;
using Platform.Storage.Events;

namespace Platform.Storage.Objects;

/// <summary>
/// Datasets and object metadata in storagedb; every change commits with its event and its audit action
/// (<see cref="AuditActions"/>: who, from which address, in which request) through the transactional outbox.
/// </summary>
internal sealed partial class ObjectCatalog(NpgsqlDataSource dataSource, IOutbox outbox, Keys.OrganizationKeyRing ring, TimeProvider time, IOptions<StorageOptions> options)
{
    internal const string ObjectColumns = "o.id, o.dataset_id, o.organization_id, o.name, o.data_class, o.size, o.content_type, o.key_version, o.wrapped_dek, o.blob_key, o.created_at, o.created_by";
    private readonly string region = options.Value.Region;

    private const string DatasetColumns = "id, organization_id, region, environment, name, created_at, created_by";
    private const int MaxUploadDatasets = 10_000;
    internal static readonly TimeSpan UploadDatasetLifetime = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<(string Organization, string Environment, string Dataset), (Dataset Dataset, DateTimeOffset Until)> uploadDatasets = new();

    /// <summary>
    /// Creates a dataset, unless residency fenced the organization to another region (<see cref="Residency.ResidencyFences"/>):
    /// then nothing is written and the fence's region is returned.
    /// </summary>
    public async Task<(Dataset? Dataset, string? FencedTo)> CreateDatasetAsync(string organizationId, string environment, string name, ChangeContext change, CancellationToken cancellationToken)
    {
        var dataset = new Dataset(Model.DatasetIds.New(region), organizationId, region, environment, name, time.GetUtcNow(), change.Actor);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        if (await Residency.ResidencyFences.FenceForCreationAsync(organizationId, transaction, cancellationToken) is { } fenced && fenced != region)
        {
            return (null, fenced);
        }

        await using (var command = new NpgsqlCommand($"INSERT INTO datasets ({DatasetColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)", connection, transaction))
        {
            foreach (var value in new object[] { dataset.Id, organizationId, region, environment, name, dataset.CreatedAt, change.Actor }) command.Parameters.Add(new() { Value = value });
            await command.ExecuteNonQueryAsync(cancellationToken);
        }

        await outbox.EnqueueAsync(Audit(change, organizationId, AuditActions.DatasetCreated, dataset.Id, dataset.CreatedAt, new()
        {
            ["environment"] = environment,
        }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return (dataset, null);
    }

    /// <summary>The dataset when it is the organization's, in this region and of <paramref name="environment"/>: others are absent.</summary>
    public async Task<Dataset?> GetDatasetAsync(string organizationId, string environment, string datasetId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand(
            $"SELECT {DatasetColumns} FROM datasets WHERE id = $1 AND organization_id = $2 AND region = $3 AND environment = $4");
        foreach (var value in new object[] { datasetId, organizationId, region, environment }) command.Parameters.Add(new() { Value = value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadDataset(reader) : null;
    }

    /// <summary>
    /// The dataset an upload goes to, as <see cref="GetDatasetAsync"/>, remembered for <see cref="UploadDatasetLifetime"/>
    /// so that a stream of uploads reads it once. Safe because a dataset's organization, region and environment never
    /// change, and the upload's commit locks the dataset row and writes nothing when it is gone (another replica's or a
    /// closure's deletion: the upload is a 404 and stores nothing); a deletion here forgets it at once.
    /// </summary>
    public async Task<Dataset?> GetDatasetForUploadAsync(string organizationId, string environment, string datasetId, CancellationToken cancellationToken)
    {
        var key = (organizationId, environment, datasetId);
        var now = time.GetUtcNow();
        if (uploadDatasets.TryGetValue(key, out var known) && known.Until > now) return known.Dataset;
        var dataset = await GetDatasetAsync(organizationId, environment, datasetId, cancellationToken);
        if (dataset is null)
        {
            uploadDatasets.TryRemove(key, out _);
            return null;
        }

        if (uploadDatasets.Count >= MaxUploadDatasets) uploadDatasets.Clear();
        uploadDatasets[key] = (dataset, now + UploadDatasetLifetime);
        return dataset;
    }

    public async Task<List<Dataset>> ListDatasetsAsync(string organizationId, string environment, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {DatasetColumns} FROM datasets
            WHERE organization_id = $1 AND region = $2 AND environment = $3 AND id > $4 ORDER BY id LIMIT $5
            """);
        foreach (var value in new object[] { organizationId, region, environment, after ?? "", limit }) command.Parameters.Add(new() { Value = value });
        var datasets = new List<Dataset>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) datasets.Add(ReadDataset(reader));
        return datasets;
    }

    /// <summary>Deletes the dataset's metadata and returns the blob keys to remove; null when there is no such dataset.</summary>
    public async Task<List<string>?> DeleteDatasetAsync(string organizationId, string environment, string datasetId, ChangeContext change, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        await using (var lockRow = new NpgsqlCommand(
            "SELECT 1 FROM datasets WHERE id = $1 AND organization_id = $2 AND region = $3 AND environment = $4 FOR UPDATE", connection, transaction))
        {
            foreach (var value in new object[] { datasetId, organizationId, region, environment }) lockRow.Parameters.Add(new() { Value = value });
            if (await lockRow.ExecuteScalarAsync(cancellationToken) is null) return null;
        }

        uploadDatasets.TryRemove((organizationId, environment, datasetId), out _);
        var blobs = new List<string>();
        await using (var delete = new NpgsqlCommand("DELETE FROM objects WHERE dataset_id = $1 RETURNING blob_key", connection, transaction))
        {
            delete.Parameters.Add(new() { Value = datasetId });
            await using var reader = await delete.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken)) blobs.Add(reader.GetString(0));
        }

        await using (var delete = new NpgsqlCommand("DELETE FROM datasets WHERE id = $1", connection, transaction))
        {
            delete.Parameters.Add(new() { Value = datasetId });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var now = time.GetUtcNow();
        await outbox.EnqueueAsync(new DatasetDeleted
        {
            OrganizationId = organizationId, OccurredAt = now, DatasetId = datasetId, ObjectsDeleted = blobs.Count, Region = region, DeletedBy = change.Actor,
        }, transaction, cancellationToken);
        await outbox.EnqueueAsync(Audit(change, organizationId, AuditActions.DatasetDeleted, datasetId, now, new()
        {
            ["environment"] = environment,
            ["objectsDeleted"] = blobs.Count.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return blobs;
    }

    public async Task<StoredObject?> GetObjectAsync(string organizationId, string environment, string datasetId, string name, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {ObjectColumns}, k.destroyed_at IS NOT NULL
            FROM objects o JOIN datasets d ON d.id = o.dataset_id
            LEFT JOIN organization_keys k ON k.organization_id = o.organization_id
            WHERE o.dataset_id = $1 AND o.organization_id = $2 AND o.name = $3 AND d.region = $4 AND d.environment = $5
            """);
        foreach (var value in new object[] { datasetId, organizationId, name, region, environment }) command.Parameters.Add(new() { Value = value });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        return await reader.ReadAsync(cancellationToken) ? ReadObject(reader) with { KeysDestroyed = !reader.IsDBNull(12) && reader.GetBoolean(12) } : null;
    }

    public async Task<List<StoredObject>> ListObjectsAsync(string organizationId, string datasetId, string? after, int limit, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {ObjectColumns} FROM objects o
            WHERE o.dataset_id = $1 AND o.organization_id = $2 AND o.name COLLATE "C" > $3 ORDER BY o.name COLLATE "C" LIMIT $4
            """);
        foreach (var value in new object[] { datasetId, organizationId, after ?? "", limit }) command.Parameters.Add(new() { Value = value });
        var objects = new List<StoredObject>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) objects.Add(ReadObject(reader));
        return objects;
    }

    /// <summary>An object's stored event and its audit action, written in the row's transaction.</summary>
    private IntegrationEvent[] StoredEvents(StoredObject stored, ChangeContext change, string? replacedId)
    {
        var details = new Dictionary<string, string>
        {
            ["datasetId"] = stored.DatasetId,
            ["dataClass"] = stored.DataClass,
            ["size"] = stored.Size.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        if (replacedId is not null) details["replacedObjectId"] = replacedId;
        return
        [
            new ObjectStored
            {
                OrganizationId = stored.OrganizationId, OccurredAt = stored.CreatedAt, DatasetId = stored.DatasetId, ObjectId = stored.Id,
                DataClass = stored.DataClass, Size = stored.Size, Region = region, StoredBy = stored.CreatedBy, ReplacedObjectId = replacedId,
            },
            Audit(change, stored.OrganizationId, AuditActions.ObjectStored, stored.Id, stored.CreatedAt, details),
        ];
    }

    /// <summary>
    /// Deletes the object's metadata (its wrapped data key with it) when its dataset is of <paramref name="environment"/>
    /// and <paramref name="mayDelete"/> accepts its class (checked under the row's lock); null when there is no such
    /// object, <see cref="ObjectDeletion.Refused"/> when its class may not be deleted.
    /// </summary>
    public async Task<ObjectDeletion?> DeleteObjectAsync(
        string organizationId, string environment, string datasetId, string name, ChangeContext change, Func<string, bool> mayDelete, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string objectId, blob, dataClass;
        await using (var select = new NpgsqlCommand("""
            SELECT o.id, o.blob_key, o.data_class FROM objects o JOIN datasets d ON d.id = o.dataset_id
            WHERE o.dataset_id = $1 AND o.organization_id = $2 AND o.name = $3 AND d.region = $4 AND d.environment = $5
            FOR UPDATE OF o
            """, connection, transaction))
        {
            foreach (var value in new object[] { datasetId, organizationId, name, region, environment }) select.Parameters.Add(new() { Value = value });
            await using var reader = await select.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken)) return null;
            (objectId, blob, dataClass) = (reader.GetString(0), reader.GetString(1), reader.GetString(2));
        }

        if (!mayDelete(dataClass)) return ObjectDeletion.Refused;
        await using (var delete = new NpgsqlCommand("DELETE FROM objects WHERE id = $1", connection, transaction))
        {
            delete.Parameters.Add(new() { Value = objectId });
            await delete.ExecuteNonQueryAsync(cancellationToken);
        }

        var now = time.GetUtcNow();
        await outbox.EnqueueAsync(new ObjectDeleted
        {
            OrganizationId = organizationId, OccurredAt = now, DatasetId = datasetId, ObjectId = objectId, DataClass = dataClass, Region = region, DeletedBy = change.Actor,
        }, transaction, cancellationToken);
        await outbox.EnqueueAsync(Audit(change, organizationId, AuditActions.ObjectDeleted, objectId, now, new()
        {
            ["datasetId"] = datasetId,
            ["dataClass"] = dataClass,
        }), transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return new ObjectDeletion(blob);
    }

    /// <summary>
    /// Marks an image object of the dataset processed (issue 16 item 2, zero retention): an <c>object.processed</c> event
    /// for retention and an audit entry, in one transaction. Null when the organization's dataset has no such object in
    /// this region and environment; otherwise its data class (only an image is marked).
    /// </summary>
    public async Task<string?> MarkProcessedAsync(
        string organizationId, string environment, string datasetId, string objectId, ChangeContext change, CancellationToken cancellationToken)
    {
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
        string dataClass;
        await using (var select = new NpgsqlCommand("""
            SELECT o.data_class FROM objects o JOIN datasets d ON d.id = o.dataset_id
            WHERE o.id = $1 AND o.dataset_id = $2 AND o.organization_id = $3 AND d.region = $4 AND d.environment = $5
            """, connection, transaction))
        {
            foreach (var value in new object[] { objectId, datasetId, organizationId, region, environment }) select.Parameters.Add(new() { Value = value });
            if (await select.ExecuteScalarAsync(cancellationToken) is not string found) return null;
            dataClass = found;
        }

        if (dataClass != Platform.Messaging.Contracts.DataClasses.Image) return dataClass;
        var now = time.GetUtcNow();
        await outbox.EnqueueAsync(
        [
            new ObjectProcessed { OrganizationId = organizationId, OccurredAt = now, DatasetId = datasetId, ObjectId = objectId, Region = region, ProcessedBy = change.Actor },
            Audit(change, organizationId, AuditActions.ObjectProcessed, objectId, now, new() { ["datasetId"] = datasetId, ["dataClass"] = dataClass }),
        ], transaction, cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return dataClass;
    }

    /// <summary>
    /// A change as the audit trail records it. Ids, classes and sizes only: dataset and object names are the customer's
    /// content and stay out of the log.
    /// </summary>
    private AuditRecorded Audit(ChangeContext change, string organizationId, string action, string target, DateTimeOffset now, Dictionary<string, string> details) => new()
    {
        OccurredAt = now, OrganizationId = organizationId, Actor = change.Actor, Action = action, Target = target, Outcome = "success",
        Ip = change.Ip, RequestId = change.RequestId, UserAgent = change.UserAgent, Region = region, Details = details,
    };

    private static Dataset ReadDataset(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetFieldValue<DateTimeOffset>(5), reader.GetString(6));

    internal static StoredObject ReadObject(NpgsqlDataReader reader) =>
        new(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetInt64(5), reader.GetString(6),
            reader.GetInt32(7), reader.GetFieldValue<byte[]>(8), reader.GetString(9), reader.GetFieldValue<DateTimeOffset>(10), reader.GetString(11));
}
