using System.Security.Cryptography;
using Microsoft.Extensions.Options;
using Platform.Security.Authentication;
using Platform.Storage.Blobs;
using Platform.Storage.Crypto;
using Platform.Storage.Keys;
using Platform.Storage.Model;

namespace Platform.Storage.Objects;

/// <summary>
/// Stores an object: a fresh data key wrapped by the organization's current key, the body encrypted segment by
/// segment straight into an invisible blob, then the blob and the metadata row with its event made durable together
/// with other uploads' (<see cref="UploadCommitter"/>): answered only when both are. Any failure before the row commits
/// leaves no blob and no row behind.
/// </summary>
internal sealed partial class ObjectUploads(
    IBlobStore blobs, UploadsInFlight uploads, DataKeys dataKeys, UploadCommitter committer, TimeProvider time, IOptions<StorageOptions> options, ILogger<ObjectUploads> logger)
{
    public async Task<(InsertOutcome Outcome, StoredObject? Stored)> UploadAsync(
        Dataset dataset, string name, string dataClass, string contentType, long length, Stream body, ChangeContext change, Func<string, bool> mayReplace,
        CancellationToken cancellationToken)
    {
        var objectId = ObjectIds.New(options.Value.Region);
        var (dataKey, version, wrapped) = await dataKeys.NewAsync(dataset.OrganizationId, objectId, cancellationToken);
        var blobKey = BlobKeys.For(dataset.OrganizationId, dataset.Id, objectId);
        using var inFlight = uploads.Begin(blobKey);
        using var writing = committer.BeginWriting();
        InsertOutcome outcome;
        string? replaced;
        StoredObject stored;
        await using (var writer = await blobs.CreateAsync(blobKey, cancellationToken))
        {
            try
            {
                await StreamEncryptor.EncryptAsync(body, length, writer.Stream, dataKey, dataset.OrganizationId, objectId, options.Value.SegmentSize, cancellationToken);
            }
            finally
            {
                CryptographicOperations.ZeroMemory(dataKey);
            }

            stored = new StoredObject(objectId, dataset.Id, dataset.OrganizationId, name, dataClass, length, contentType, version, wrapped, blobKey, time.GetUtcNow(), change.Actor);
            try
            {
                (outcome, replaced) = await committer.CommitAsync(writer, new NewObjectRow(stored, change, mayReplace), writing);
            }
            catch (Exception)
            {
                // A blob made durable whose row failed is removed here; one that was not is removed by the writer's disposal.
                await blobs.DeleteAsync(blobKey, CancellationToken.None);
                throw;
            }
        }

        if (outcome != InsertOutcome.Stored)
        {
            await blobs.DeleteAsync(blobKey, CancellationToken.None);
            return (outcome, null);
        }

        if (replaced is not null) await blobs.DeleteAsync(replaced, CancellationToken.None);
        LogStored(logger, objectId, dataset.Id, length);
        return (outcome, stored);
    }

    [LoggerMessage(EventId = 5101, Level = LogLevel.Information, Message = "Stored object {ObjectId} in {DatasetId} ({Size} bytes)")]
    private static partial void LogStored(ILogger logger, string objectId, string datasetId, long size);
}
