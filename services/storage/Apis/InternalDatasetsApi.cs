using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Storage.Objects;
using Platform.Storage.Security;

namespace Platform.Storage.Apis;

/// <summary>
/// Whether a dataset exists, for services holding a storage service credential (retention checks the target of a
/// legal hold, SPEC RET-HOLD): its id, organization and environment, never its objects. Another organization's
/// dataset is absent, like one that does not exist.
/// </summary>
public static class InternalDatasetsApi
{
    public static IEndpointRouteBuilder MapInternalDatasetsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/v1/organizations/{organizationId}/datasets/{datasetId}", GetDataset)
            .WithName("GetDatasetForService").RequireAuthorization(StoragePolicies.Service).AddEndpointFilter<Residency.RegionGuard>();
        return app;
    }

    internal static async Task<Results<Ok<InternalDatasetResponse>, ProblemHttpResult>> GetDataset(
        string organizationId, string datasetId, HttpContext http, ObjectCatalog catalog, CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        foreach (var environment in new[] { DataAccess.Live, "test" })
        {
            if (await catalog.GetDatasetAsync(organizationId, environment, datasetId, cancellationToken) is { } dataset)
                return TypedResults.Ok(new InternalDatasetResponse(dataset.Id, dataset.OrganizationId, dataset.Environment));
        }

        return Problems.Missing("dataset");
    }
}

/// <summary>A dataset as other services see it: that it exists, where it belongs.</summary>
public sealed record InternalDatasetResponse(string Id, string OrganizationId, string Environment);
