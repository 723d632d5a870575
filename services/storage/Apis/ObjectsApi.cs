using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Platform.Security.Authentication;
using Platform.Storage.Crypto;
using Platform.Storage.Keys;
using Platform.Storage.Model;
using Platform.Storage.Objects;
using Platform.Storage.Security;

namespace Platform.Storage.Apis;

/// <summary>
/// Objects of a dataset (SPEC ENC-BLOB): streamed up and down through the streaming AEAD, with single HTTP byte
/// ranges on reads. <c>/objects/{name}</c> takes any name that <see cref="ObjectNames"/> accepts, '/' included.
/// </summary>
internal static class ObjectsApi
{
    private const int MaxContentTypeLength = 127;

    public static void MapObjectsApi(this IEndpointRouteBuilder app, RouteGroupBuilder datasets)
    {
        datasets.MapMethods("/{datasetId}/objects", ["GET", "HEAD"], ListObjects).WithName("ListObjects").RequireAuthorization(StoragePolicies.Read);
        datasets.MapPut("/{datasetId}/objects/{**name}", PutObject).WithName("PutObject").RequireAuthorization(StoragePolicies.WriteObjects);
        datasets.MapMethods("/{datasetId}/objects/{**name}", ["GET", "HEAD"], GetObject).WithName("GetObject").RequireAuthorization(StoragePolicies.ReadContents);
        datasets.MapDelete("/{datasetId}/objects/{**name}", DeleteObject).WithName("DeleteObject").RequireAuthorization(StoragePolicies.WriteObjects);
        datasets.MapPost("/{datasetId}/processed", MarkProcessed).WithName("MarkObjectProcessed").RequireAuthorization(StoragePolicies.WriteObjects);
    }

    public sealed record MarkProcessedRequest(string? ObjectId);

    public sealed record ProcessedResponse(string ObjectId, string DatasetId, string DataClass);

    /// <summary>
    /// The product says it is done with an image (zero retention, SPEC RET-PURGE): retention deletes it at its next pass
    /// instead of at the end of the grace period. The organization's own dataset and object only (another organization's
    /// ids are 404, as if they did not exist); an object of another class is 400 and nothing is marked.
    /// </summary>
    internal static async Task<Results<Ok<ProcessedResponse>, ProblemHttpResult>> MarkProcessed(
        string organizationId, string datasetId, HttpContext http, ObjectCatalog catalog, CancellationToken cancellationToken)
    {
        var (request, present, problem) = await JsonBody.ReadAsync<MarkProcessedRequest>(http.Request, 1024, cancellationToken);
        if (problem is not null) return problem;
        if (!present || request!.ObjectId is not { Length: > 0 and <= 64 } objectId) return Problems.Invalid("A JSON body { \"objectId\": \"obj_…\" } is required.");
        if (!DatasetIds.IsWellFormed(datasetId)) return Problems.Missing("dataset");
        var access = DataAccess.Of(http.User);
        if (!access.MayChange(Platform.Messaging.Contracts.DataClasses.Image)) return await LabelerRefusalAsync(http);
        var dataClass = await catalog.MarkProcessedAsync(organizationId, access.Environment, datasetId, objectId, ChangeContext.From(http, access.Actor), cancellationToken);
        if (dataClass is null) return Problems.Missing("object");
        if (dataClass != Platform.Messaging.Contracts.DataClasses.Image) return Problems.Invalid($"Only objects of data class '{Platform.Messaging.Contracts.DataClasses.Image}' are marked processed; this one is '{dataClass}'. Nothing was marked.");
        return TypedResults.Ok(new ProcessedResponse(objectId, datasetId, dataClass));
    }

    internal static async Task<Results<Created<ObjectResponse>, ProblemHttpResult>> PutObject(
        string organizationId, string datasetId, string name, string? dataClass, HttpContext http, ObjectCatalog catalog, ObjectUploads uploads,
        IOptions<StorageOptions> options, CancellationToken cancellationToken)
    {
        if (!DataClasses.IsKnown(dataClass)) return Problems.Invalid($"The query parameter dataClass must be one of: {string.Join(", ", DataClasses.All)}.");
        var access = DataAccess.Of(http.User);
        if (!access.MayChange(dataClass!)) return await LabelerRefusalAsync(http);
        name = Decode(name);
        if (ObjectNames.Problem(name) is { } nameProblem) return Problems.Invalid(nameProblem);
        if (!DatasetIds.IsWellFormed(datasetId)) return Problems.Missing("dataset");

        var contentType = http.Request.ContentType ?? "application/octet-stream";
        if (contentType.Length > MaxContentTypeLength || !MediaTypeHeaderValue.TryParse(contentType, out _))
        {
            return Problems.Invalid($"Content-Type must be a media type of at most {MaxContentTypeLength} characters.");
        }

        if (http.Request.ContentLength is not { } length)
        {
            return TypedResults.Problem(statusCode: 411, type: Problems.LengthRequired, title: "Content-Length is required",
                detail: "Send the object with a Content-Length header (not chunked), so its size is known before it is stored.");
        }

        var limit = options.Value.MaxObjectBytes;
        if (length > limit)
        {
            return TypedResults.Problem(statusCode: 413, type: Problems.TooLarge, title: "The object is too large", detail: $"Objects have at most {limit} bytes.");
        }

        if (await catalog.GetDatasetForUploadAsync(organizationId, access.Environment, datasetId, cancellationToken) is not { } dataset) return Problems.Missing("dataset");
        // Refused before a byte of the body is read; checked again under the row's lock when the upload commits. A level
        // that may replace every class (full) has nothing to check here.
        if (!access.MayChangeEveryClass && await catalog.GetObjectAsync(organizationId, access.Environment, datasetId, name, cancellationToken) is { } existing && !access.MayChange(existing.DataClass))
        {
            return await LabelerRefusalAsync(http);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } bodyLimit) bodyLimit.MaxRequestBodySize = limit;

        InsertOutcome outcome;
        StoredObject? stored;
        try
        {
            (outcome, stored) = await uploads.UploadAsync(dataset, name, dataClass!, contentType, length, http.Request.Body, ChangeContext.From(http, access.Actor), access.MayChange, cancellationToken);
        }
        catch (PlaintextLengthMismatchException exception)
        {
            return Problems.Invalid($"{exception.Message} Nothing was stored.");
        }
        catch (BadHttpRequestException exception)
        {
            return TypedResults.Problem(statusCode: exception.StatusCode, type: Problems.InvalidRequest, title: "The body could not be read", detail: "Nothing was stored.");
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
        catch (Exception exception) when (exception is IOException or OperationCanceledException && http.RequestAborted.IsCancellationRequested)
        {
            // The client went away mid-upload: the unfinished blob is already gone, and nobody is left to answer.
            return Problems.Invalid("The upload was interrupted. Nothing was stored.");
        }

        if (outcome == InsertOutcome.ReplacementRefused) return await LabelerRefusalAsync(http);
        if (stored is null) return Problems.Missing("dataset");
        return TypedResults.Created($"/v1/organizations/{organizationId}/datasets/{datasetId}/objects/{Uri.EscapeDataString(name).Replace("%2F", "/", StringComparison.Ordinal)}", ToResponse(stored));
    }

    internal static async Task<IResult> GetObject(
        string organizationId, string datasetId, string name, HttpContext http, ObjectCatalog catalog, ObjectReads reads, CancellationToken cancellationToken)
    {
        name = Decode(name);
        if (ObjectNames.Problem(name) is { } nameProblem) return Problems.Invalid(nameProblem);
        if (!DatasetIds.IsWellFormed(datasetId)) return Problems.Missing("dataset");

        var environment = DataAccess.Of(http.User).Environment;
        if (await catalog.GetObjectAsync(organizationId, environment, datasetId, name, cancellationToken) is not { } stored) return Problems.Missing("object");
        if (stored.KeysDestroyed) return Problems.Unavailable(new KeyUnavailableException(KeyUnavailableReason.Destroyed));

        var range = ByteRange.Parse(http.Request.Headers.Range, stored.Size);
        if (range.Kind == RangeKind.Unsatisfiable)
        {
            http.Response.Headers.ContentRange = $"bytes */{stored.Size}";
            return TypedResults.Problem(statusCode: 416, type: Problems.RangeNotSatisfiable, title: "Range not satisfiable", detail: $"The object has {stored.Size} bytes.");
        }

        try
        {
            return await reads.OpenAsync(stored, range, cancellationToken);
        }
        catch (KeyUnavailableException exception)
        {
            return Problems.Unavailable(exception);
        }
        catch (ObjectIntegrityException exception)
        {
            var logger = http.RequestServices.GetRequiredService<ILogger<ObjectReads>>();
            StorageLog.IntegrityFailure(logger, stored.Id, exception.Message);
            return Problems.Integrity();
        }
    }

    internal static async Task<Results<Ok<Page<ObjectResponse>>, ProblemHttpResult>> ListObjects(
        string organizationId, string datasetId, string? after, int? limit, HttpContext http, ObjectCatalog catalog, CancellationToken cancellationToken)
    {
        if (limit is < 1 or > DatasetsApi.MaxPageSize) return Problems.Invalid($"limit must be from 1 to {DatasetsApi.MaxPageSize}.");
        var environment = DataAccess.Of(http.User).Environment;
        if (!DatasetIds.IsWellFormed(datasetId) || await catalog.GetDatasetAsync(organizationId, environment, datasetId, cancellationToken) is null) return Problems.Missing("dataset");

        var size = limit ?? 50;
        var objects = await catalog.ListObjectsAsync(organizationId, datasetId, after, size + 1, cancellationToken);
        var items = objects.Take(size).Select(ToResponse).ToList();
        return TypedResults.Ok(new Page<ObjectResponse>(items, objects.Count > size ? items[^1].Name : null));
    }

    internal static async Task<Results<NoContent, ProblemHttpResult>> DeleteObject(
        string organizationId, string datasetId, string name, HttpContext http, ObjectCatalog catalog, Blobs.IBlobStore blobs, CancellationToken cancellationToken)
    {
        name = Decode(name);
        if (ObjectNames.Problem(name) is { } nameProblem) return Problems.Invalid(nameProblem);
        if (!DatasetIds.IsWellFormed(datasetId)) return Problems.Missing("dataset");

        var access = DataAccess.Of(http.User);
        var deletion = await catalog.DeleteObjectAsync(organizationId, access.Environment, datasetId, name, ChangeContext.From(http, access.Actor), access.MayChange, cancellationToken);
        if (deletion is null) return Problems.Missing("object");
        if (deletion.BlobKey is not { } blobKey) return await LabelerRefusalAsync(http);
        await blobs.DeleteAsync(blobKey, CancellationToken.None);
        return TypedResults.NoContent();
    }

    /// <summary>A level that may change only some data classes (<c>labeler_only</c>: annotations) met an object of another class.</summary>
    private static Task<ProblemHttpResult> LabelerRefusalAsync(HttpContext http) =>
        http.RefuseAsync("insufficient-scope", "The key lacks the scope this needs",
            $"A 'labeler_only' key stores, replaces and deletes only objects of data class '{DataAccess.LabelerClass}'; nothing was changed.");

    /// <summary>A catch-all route value keeps "%2F" encoded; a name is the same name however its slashes were sent.</summary>
    private static string Decode(string name) => name.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    internal static ObjectResponse ToResponse(StoredObject stored) =>
        new(stored.Id, stored.DatasetId, stored.Name, stored.DataClass, stored.Size, stored.ContentType, stored.KeyVersion, stored.CreatedAt, stored.CreatedBy);
}
