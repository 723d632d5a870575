using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Residency.Data;
using Platform.Residency.Model;
using Platform.Residency.Regions;
using Platform.Residency.Security;
using Platform.Security.Authentication;

namespace Platform.Residency.Apis;

/// <summary>
/// The organization's residency (SPEC RES-PIN) for its members' identity tokens: every member reads it; an Owner with a
/// recent MFA changes it. The organization is the token's: there is no other organization's residency to name.
/// </summary>
public static class OrganizationResidencyApi
{
    private const int MaxBodyBytes = 1024;

    public static IEndpointRouteBuilder MapOrganizationResidencyApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/residency/organization");
        api.MapGet("/", GetResidency).WithName("GetResidency").RequireAuthorization(ResidencyPolicies.Read);
        api.MapPut("/", SetResidency).WithName("SetResidency").RequireAuthorization(ResidencyPolicies.Change);
        return app;
    }

    internal static async Task<Ok<ResidencyResponse>> GetResidency(HttpContext http, ResidencyStore store, RegionRegistry regions, CancellationToken cancellationToken) =>
        TypedResults.Ok(ResidencyResponse.From(await store.GetAsync(http.User.OrganizationId()!, cancellationToken), regions));

    internal static async Task<Results<Ok<ResidencyResponse>, ProblemHttpResult>> SetResidency(
        HttpContext http, ResidencyManager manager, RegionRegistry regions, CancellationToken cancellationToken)
    {
        var (request, present, problem) = await JsonBody.ReadAsync<SetResidencyRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return await Problems.InvalidAsync(http, "A JSON body { \"mode\": \"multi-region\" } or { \"mode\": \"single-region\", \"region\": \"…\" } is required.");
        switch (request!.Mode)
        {
            case ResidencyModes.MultiRegion when request.Region is not null:
                return await Problems.InvalidAsync(http, "A multi-region organization names no region.");
            case ResidencyModes.SingleRegion when regions.Find(request.Region) is null:
                return await Problems.RefuseAsync(http, 400, "unknown-region", "No such region",
                    $"The region must be one of: {string.Join(", ", regions.Ids)}.", new Dictionary<string, object?> { ["regions"] = regions.Ids.ToList() });
            case ResidencyModes.MultiRegion or ResidencyModes.SingleRegion:
                break;
            default:
                return await Problems.InvalidAsync(http, $"mode must be '{ResidencyModes.MultiRegion}' or '{ResidencyModes.SingleRegion}'.");
        }

        var organizationId = http.User.OrganizationId()!;
        var change = await manager.SetAsync(organizationId, request.Mode, request.Region, ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        return change switch
        {
            { Residency: { } residency } => TypedResults.Ok(ResidencyResponse.From(residency, regions)),
            { Refusal: ResidencyChange.DataOutsideRegion } => await Problems.RefuseAsync(http, 409, ResidencyChange.DataOutsideRegion,
                "The organization holds data outside that region",
                $"{change.Holdings!.Datasets.Count} dataset(s) are stored outside '{request.Region}'; delete them (or move their data) before pinning the organization there.",
                new Dictionary<string, object?> { ["datasets"] = change.Holdings.Datasets.Select(d => new HeldDatasetResponse(d.Region, d.DatasetId)).ToList() }),
            _ => await Problems.RefuseAsync(http, 503, ResidencyChange.StorageUnavailable, "A region's storage did not answer",
                "Whether the organization holds data in every other region could not be checked; nothing changed. Try again later.",
                new Dictionary<string, object?> { ["regions"] = change.Holdings!.Unreachable }),
        };
    }
}
