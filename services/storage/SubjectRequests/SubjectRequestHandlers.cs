using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Messaging.Contracts;
using Platform.Storage.Crypto;
using Platform.Storage.Keys;
using Platform.Storage.Objects;

namespace Platform.Storage.SubjectRequests;

/// <summary>
/// This region's part of a data-subject access/portability archive (SPEC RET-DSAR), in the second round (uploaders
/// named: the person and the API keys they created): the datasets they created and, where the organization allows
/// (<see cref="SubjectExportRequested.IncludeObjects"/>), the objects they uploaded — metadata (at most
/// <see cref="MaxObjects"/> listed, the rest counted in <c>truncated</c>) and, oldest first while the region's total
/// stays within <see cref="MaxContentBytes"/>, each one's plaintext (base64, decrypted and verified segment by segment)
/// with its SHA-256, inside the archive retention signs; any other is listed with why its bytes were left out.
/// Without the organization's leave, only their count. Rows read in the inbox's transaction.
/// </summary>
internal sealed partial class SubjectExportHandler(
    IOptions<StorageOptions> options, IConfiguration configuration, ObjectReads reads, IOutbox outbox, TimeProvider time, ILogger<SubjectExportHandler> logger)
    : IIntegrationEventHandler<SubjectExportRequested>
{
    public const int MaxObjects = 10_000;

    /// <summary>Object bytes per region in one archive (the answer travels as one event): 4 MiB.</summary>
    public const long MaxContentBytes = 4 * 1024 * 1024;

    public async Task HandleAsync(SubjectExportRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.OrganizationId is not { } organizationId || request.Actors is not { } actors) return;
        var region = options.Value.Region;
        var sections = new Dictionary<string, JsonElement>();
        var truncated = new Dictionary<string, long>();
        sections["datasetsCreated"] = await RowsAsync("""
            SELECT id, name, created_at AS "createdAt" FROM datasets WHERE organization_id = $1 AND region = $2 AND created_by = ANY($3) ORDER BY created_at, id
            """, [organizationId, region, actors.ToArray()], context, cancellationToken);
        long count;
        await using (var total = new NpgsqlCommand("""
            SELECT count(*) FROM objects o JOIN datasets d ON d.id = o.dataset_id WHERE o.organization_id = $1 AND d.region = $2 AND o.created_by = ANY($3)
            """, context.Connection, context.Transaction))
        {
            foreach (var value in new object[] { organizationId, region, actors.ToArray() }) total.Parameters.Add(new() { Value = value });
            count = (long)(await total.ExecuteScalarAsync(cancellationToken))!;
        }

        if (request.IncludeObjects)
        {
            var objects = await UploadedAsync(organizationId, region, actors.ToArray(), context, cancellationToken);
            sections["objects"] = JsonSerializer.SerializeToElement(await WithContentAsync(objects, cancellationToken), JsonSerializerOptions.Web);
            if (count > MaxObjects) truncated["objects"] = count - MaxObjects;
        }
        else
        {
            sections["objectsWithheld"] = JsonSerializer.SerializeToElement(new { count, reason = "the organization did not include objects in this request" }, JsonSerializerOptions.Web);
        }

        await outbox.EnqueueAsync(new SubjectExportAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), RequestId = request.RequestId, Participant = Extensions.QueueName(configuration),
            Sections = sections, Truncated = truncated,
        }, context.Transaction, cancellationToken);
        LogExported(logger, request.RequestId, organizationId, region, count);
    }

    /// <summary>One object of the archive; <see cref="Content"/> its plaintext (base64 in the JSON) or <see cref="ContentOmitted"/> why not.</summary>
    private sealed record ArchivedObject(
        string Id, string DatasetId, string Name, string DataClass, long Size, string ContentType, DateTimeOffset CreatedAt, string UploadedBy,
        string? Sha256, byte[]? Content, string? ContentOmitted);

    private static async Task<List<StoredObject>> UploadedAsync(string organizationId, string region, string[] actors, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand($"""
            SELECT {ObjectCatalog.ObjectColumns} FROM objects o JOIN datasets d ON d.id = o.dataset_id
            WHERE o.organization_id = $1 AND d.region = $2 AND o.created_by = ANY($3)
            ORDER BY o.created_at, o.id LIMIT {MaxObjects}
            """, context.Connection, context.Transaction);
        foreach (var value in new object[] { organizationId, region, actors }) command.Parameters.Add(new() { Value = value });
        var objects = new List<StoredObject>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) objects.Add(ObjectCatalog.ReadObject(reader));
        return objects;
    }

    private async Task<List<ArchivedObject>> WithContentAsync(List<StoredObject> objects, CancellationToken cancellationToken)
    {
        var archived = new List<ArchivedObject>(objects.Count);
        var room = MaxContentBytes;
        foreach (var stored in objects)
        {
            byte[]? content = null;
            string? omitted = null;
            if (stored.Size > room)
            {
                omitted = $"over this region's {MaxContentBytes / (1024 * 1024)} MiB of object bytes per archive: download it through the storage API";
            }
            else
            {
                try
                {
                    content = await reads.ReadAllAsync(stored, cancellationToken);
                    room -= content.Length;
                }
                catch (KeyUnavailableException)
                {
                    omitted = "the organization key version that protects it is no longer available";
                }
                catch (ObjectIntegrityException)
                {
                    omitted = "its stored bytes failed their integrity check";
                    LogUnreadable(logger, stored.Id, stored.OrganizationId);
                }
            }

            archived.Add(new ArchivedObject(stored.Id, stored.DatasetId, stored.Name, stored.DataClass, stored.Size, stored.ContentType, stored.CreatedAt, stored.CreatedBy,
                content is null ? null : Convert.ToHexStringLower(SHA256.HashData(content)), content, omitted));
        }

        return archived;
    }

    private static Task<JsonElement> RowsAsync(string sql, object[] parameters, IntegrationEventContext context, CancellationToken cancellationToken) =>
        context.RowsAsJsonAsync(sql, cancellationToken, parameters);

    [LoggerMessage(EventId = 5513, Level = LogLevel.Error, Message = "Object {ObjectId} of {OrganizationId} failed its integrity check while its bytes were put into a data-subject archive")]
    private static partial void LogUnreadable(ILogger logger, string objectId, string organizationId);

    [LoggerMessage(EventId = 5511, Level = LogLevel.Information, Message = "Data-subject request {RequestId} of {OrganizationId}: {Region}'s part answered ({Objects} objects)")]
    private static partial void LogExported(ILogger logger, string requestId, string organizationId, string region, long objects);
}

/// <summary>
/// This region's part of an erasure (GDPR Art. 17), in the inbox's transaction: the objects and datasets stay the
/// organization's, their uploader/creator (the person's user id) is anonymised, except where a legal hold covers them
/// (the organization, the person, their dataset or data class): those are listed (at most 1,000) and counted.
/// </summary>
internal sealed partial class SubjectErasureHandler(IOptions<StorageOptions> options, IConfiguration configuration, IOutbox outbox, TimeProvider time, ILogger<SubjectErasureHandler> logger)
    : IIntegrationEventHandler<SubjectErasureRequested>
{
    private const int MaxListedHeld = 1000;
    private const string Erased = "erased-subject";

    public async Task HandleAsync(SubjectErasureRequested request, IntegrationEventContext context, CancellationToken cancellationToken)
    {
        if (request.OrganizationId is not { } organizationId) return;
        var region = options.Value.Region;
        var holds = request.Holds;
        var user = request.SubjectUserId;
        var erased = new Dictionary<string, long>();
        var personHeld = holds.Organization || holds.Users.Contains(user);
        if (!personHeld)
        {
            await using (var objects = new NpgsqlCommand("""
                UPDATE objects o SET created_by = $6 FROM datasets d
                WHERE d.id = o.dataset_id AND o.organization_id = $1 AND d.region = $2 AND o.created_by = $5
                  AND o.dataset_id <> ALL($3) AND o.data_class <> ALL($4)
                """, context.Connection, context.Transaction))
            {
                foreach (var value in new object[] { organizationId, region, holds.Datasets.ToArray(), holds.DataClasses.ToArray(), user, Erased }) objects.Parameters.Add(new() { Value = value });
                erased["objectUploadersAnonymised"] = await objects.ExecuteNonQueryAsync(cancellationToken);
            }

            await using var datasets = new NpgsqlCommand(
                "UPDATE datasets SET created_by = $5 WHERE organization_id = $1 AND region = $2 AND created_by = $4 AND id <> ALL($3)", context.Connection, context.Transaction);
            foreach (var value in new object[] { organizationId, region, holds.Datasets.ToArray(), user, Erased }) datasets.Parameters.Add(new() { Value = value });
            erased["datasetCreatorsAnonymised"] = await datasets.ExecuteNonQueryAsync(cancellationToken);
        }

        // What is still the person's here was kept by a hold; each names it.
        var held = new List<ClosureHeldItem>();
        long heldCount;
        await using (var command = new NpgsqlCommand("""
            SELECT 'object', o.id, CASE WHEN $5 THEN 'legal hold on the organization' WHEN $6 THEN 'legal hold on the person''s data'
                                        WHEN o.dataset_id = ANY($3) THEN 'legal hold on dataset ' || o.dataset_id
                                        ELSE 'legal hold on data class ' || o.data_class END,
                   count(*) OVER ()
            FROM objects o JOIN datasets d ON d.id = o.dataset_id WHERE o.organization_id = $1 AND d.region = $2 AND o.created_by = $4
            ORDER BY o.id LIMIT 1000
            """, context.Connection, context.Transaction))
        {
            foreach (var value in new object[] { organizationId, region, holds.Datasets.ToArray(), user, holds.Organization, personHeld }) command.Parameters.Add(new() { Value = value });
            heldCount = 0;
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                held.Add(new ClosureHeldItem(reader.GetString(0), reader.GetString(1), reader.GetString(2)));
                heldCount = reader.GetInt64(3);
            }
        }

        await outbox.EnqueueAsync(new SubjectErasureAnswered
        {
            OrganizationId = organizationId, OccurredAt = time.GetUtcNow(), RequestId = request.RequestId, Participant = Extensions.QueueName(configuration),
            Erased = erased, Held = held.Take(MaxListedHeld).ToList(), HeldCount = heldCount,
        }, context.Transaction, cancellationToken);
        LogErased(logger, request.RequestId, organizationId, region, erased.GetValueOrDefault("objectUploadersAnonymised"), heldCount);
    }

    [LoggerMessage(EventId = 5512, Level = LogLevel.Warning, Message = "Data-subject request {RequestId} of {OrganizationId} in {Region}: {Objects} objects' uploader anonymised, {Held} held")]
    private static partial void LogErased(ILogger logger, string requestId, string organizationId, string region, long objects, long held);
}
