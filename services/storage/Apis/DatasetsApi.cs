using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Security.Authentication;
using Platform.Storage.Model;
using Platform.Storage.Objects;
using Platform.Storage.Security;

namespace Platform.Storage.Apis;

/// <summary>Datasets of an organization (SPEC ENC-BLOB), behind the gateway; objects are in <see cref="ObjectsApi"/>.</summary>
public static class DatasetsApi
{
    public const int MaxPageSize = 100;
    private const int MaxBodyBytes = 4096;

    public static IEndpointRouteBuilder MapDatasetsApi(this IEndpointRouteBuilder app)
    {
        // Every dataset and object endpoint refuses data pinned to another region (SPEC RES-ENFORCE).
        var api = app.MapGroup("/v1/organizations/{organizationId}/datasets").AddEndpointFilter<Residency.RegionGuard>();
        api.MapPost("/", CreateDataset).WithName("CreateDataset").RequireAuthorization(StoragePolicies.Manage);
        api.MapMethods("/", ["GET", "HEAD"], ListDatasets).WithName("ListDatasets").RequireAuthorization(StoragePolicies.Read);
        api.MapMethods("/{datasetId}", ["GET", "HEAD"], GetDataset).WithName("GetDataset").RequireAuthorization(StoragePolicies.Read);
        api.MapDelete("/{datasetId}", DeleteDataset).WithName("DeleteDataset").RequireAuthorization(StoragePolicies.Manage);
        app.MapObjectsApi(api);
        return app;
    }

    internal static async Task<Results<Created<DatasetResponse>, ProblemHttpResult>> CreateDataset(
        string organizationId, HttpContext http, ObjectCatalog catalog, CancellationToken cancellationToken)
    {
        if (!OrganizationIds.IsWellFormed(organizationId)) return Problems.Missing("organization");
        var access = DataAccess.Of(http.User);
        var (request, present, problem) = await JsonBody.ReadAsync<CreateDatasetRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present || !DatasetNames.IsValid(request!.Name))
        {
            return Problems.Invalid($"A JSON body {{ \"name\": \"…\" }} is required: 1 to {DatasetNames.MaxLength} characters, no control characters or surrounding spaces.");
        }

        var (dataset, fencedTo) = await catalog.CreateDatasetAsync(organizationId, access.Environment, request.Name, ChangeContext.From(http, access.Actor), cancellationToken);
        if (dataset is null)
        {
            // Residency is pinning the organization to another region (or has): refused here, however the request got here.
            return await http.RequestServices.GetRequiredService<Residency.RegionGuard>().RefuseAsync(http, fencedTo!, "organization");
        }

        return TypedResults.Created($"/v1/organizations/{organizationId}/datasets/{dataset.Id}", ToResponse(dataset));
    }

    internal static async Task<Results<Ok<Page<DatasetResponse>>, ProblemHttpResult>> ListDatasets(
        string organizationId, string? after, int? limit, HttpContext http, ObjectCatalog catalog, CancellationToken cancellationToken)
    {
        if (!OrganizationIds.IsWellFormed(organizationId)) return Problems.Missing("organization");
        if (limit is < 1 or > MaxPageSize) return Problems.Invalid($"limit must be from 1 to {MaxPageSize}.");
        if (after is not null && !DatasetIds.IsWellFormed(after)) return Problems.Invalid("after must be a cursor from a previous page.");

        var size = limit ?? 50;
        var datasets = await catalog.ListDatasetsAsync(organizationId, DataAccess.Of(http.User).Environment, after, size + 1, cancellationToken);
        var items = datasets.Take(size).Select(ToResponse).ToList();
        return TypedResults.Ok(new Page<DatasetResponse>(items, datasets.Count > size ? items[^1].Id : null));
    }

    internal static async Task<Results<Ok<DatasetResponse>, ProblemHttpResult>> GetDataset(
        string organizationId, string datasetId, HttpContext http, ObjectCatalog catalog, CancellationToken cancellationToken)
    {
        if (!DatasetIds.IsWellFormed(datasetId)) return Problems.Missing("dataset");

        return await catalog.GetDatasetAsync(organizationId, DataAccess.Of(http.User).Environment, datasetId, cancellationToken) is { } dataset
            ? TypedResults.Ok(ToResponse(dataset))
            : Problems.Missing("dataset");
    }

    /// <summary>Removes every object's bytes and metadata, then the dataset; emits <c>dataset.deleted</c>.</summary>
    internal static async Task<Results<Ok<DatasetDeletedResponse>, ProblemHttpResult>> DeleteDataset(
        string organizationId, string datasetId, HttpContext http, ObjectCatalog catalog, Blobs.IBlobStore blobs, CancellationToken cancellationToken)
    {
        if (!DatasetIds.IsWellFormed(datasetId)) return Problems.Missing("dataset");

        var access = DataAccess.Of(http.User);
        if (await catalog.DeleteDatasetAsync(organizationId, access.Environment, datasetId, ChangeContext.From(http, access.Actor), cancellationToken) is not { } blobKeys) return Problems.Missing("dataset");
        // The wrapped data keys went with the rows: the bytes are unreadable from here on, even if a removal fails.
        foreach (var key in blobKeys) await blobs.DeleteAsync(key, CancellationToken.None);
        return TypedResults.Ok(new DatasetDeletedResponse(datasetId, blobKeys.Count));
    }

    internal static DatasetResponse ToResponse(Dataset dataset) => new(dataset.Id, dataset.Name, dataset.Region, dataset.Environment, dataset.CreatedAt, dataset.CreatedBy);
}
