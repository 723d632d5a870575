using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Residency.Data;
using Platform.Residency.Model;
using Platform.Residency.Regions;
using Platform.Residency.Security;

namespace Platform.Residency.Apis;

/// <summary>An organization's residency for services with a reader token (the gateway routes dataset creation by it).</summary>
public static class InternalResidencyApi
{
    public static IEndpointRouteBuilder MapInternalResidencyApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/internal/v1/residency/organizations/{organizationId}", GetResidency)
            .WithName("GetResidencyForService").RequireAuthorization(ResidencyPolicies.Service);
        return app;
    }

    internal static async Task<Results<Ok<ResidencyResponse>, ProblemHttpResult>> GetResidency(
        string organizationId, ResidencyStore store, RegionRegistry regions, CancellationToken cancellationToken)
    {
        if (!OrganizationIds.IsWellFormed(organizationId))
        {
            return TypedResults.Problem(statusCode: 404, type: Platform.Security.Authentication.PlatformProblems.Base + "not-found", title: "No such organization");
        }

        return TypedResults.Ok(ResidencyResponse.From(await store.GetAsync(organizationId, cancellationToken), regions));
    }
}
