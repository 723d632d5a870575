using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Residency.Regions;
using Platform.Residency.Security;

namespace Platform.Residency.Apis;

/// <summary>The registry of regions (SPEC RES-REGION) as members see it: ids, names, jurisdictions; never the endpoints.</summary>
public static class RegionsApi
{
    public static IEndpointRouteBuilder MapRegionsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/v1/residency/regions", GetRegions).WithName("GetRegions").RequireAuthorization(ResidencyPolicies.Read);
        return app;
    }

    internal static Ok<RegionsResponse> GetRegions(RegionRegistry regions) =>
        TypedResults.Ok(new RegionsResponse(regions.DefaultRegion, regions.All.Select(r => new RegionResponse(r.Id, r.Name, r.Jurisdiction)).ToList()));
}
