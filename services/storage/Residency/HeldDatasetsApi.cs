using Microsoft.AspNetCore.Http.HttpResults;
using Npgsql;
using Platform.Storage.Apis;
using Platform.Storage.Model;
using Platform.Storage.Security;

namespace Platform.Storage.Residency;

/// <summary>
/// Every dataset of an organization this storage's database holds, whatever region its row or id names, for services
/// with a storage service credential: residency asks each region's storage before it pins an organization to one
/// region (SPEC RES-PIN). Ids and environments only, never names or objects.
/// </summary>
public static class HeldDatasetsApi
{
    public const int MaxPageSize = 500;

    public static IEndpointRouteBuilder MapHeldDatasetsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/v1/organizations/{organizationId}/datasets", ListDatasets)
            .WithName("ListDatasetsForService").RequireAuthorization(StoragePolicies.Service);
        return app;
    }

    internal static async Task<Results<Ok<HeldDatasetsPage>, ProblemHttpResult>> ListDatasets(
        string organizationId, string? after, int? limit, HttpContext http, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        if (limit is < 1 or > MaxPageSize) return Problems.Invalid($"limit must be from 1 to {MaxPageSize}.");
        if (after is not null && !DatasetIds.IsWellFormed(after)) return Problems.Invalid("after must be a cursor from a previous page.");

        var size = limit ?? 100;
        await using var command = dataSource.CreateCommand(
            "SELECT id, environment FROM datasets WHERE organization_id = $1 AND id > $2 ORDER BY id LIMIT $3");
        foreach (var value in new object[] { organizationId, after ?? "", size + 1 }) command.Parameters.Add(new() { Value = value });
        var items = new List<InternalDatasetResponse>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken)) items.Add(new InternalDatasetResponse(reader.GetString(0), organizationId, reader.GetString(1)));
        }

        var page = items.Take(size).ToList();
        return TypedResults.Ok(new HeldDatasetsPage(page, items.Count > size ? page[^1].Id : null));
    }
}

public sealed record HeldDatasetsPage(IReadOnlyList<InternalDatasetResponse> Items, string? Next);
