using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Security.Authentication;
using Platform.Storage.Keys;
using Platform.Storage.Model;

namespace Platform.Storage.Apis;

/// <summary>
/// A transit caller's report of the key versions its live ciphertexts are under, per organization (issue 16, the
/// transit key lineage; <see cref="TransitSeals"/>). The report is complete for the organizations the caller may use:
/// a version it leaves out may be destroyed once every backup has expired. The answer gives each reported
/// organization's current version, so the caller knows what to rewrap.
/// </summary>
public static class TransitSealsApi
{
    private const int MaxBodyBytes = 8 * 1024 * 1024;

    public static IEndpointRouteBuilder MapTransitSealsApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/internal/v1/transit-seals", Report).WithName("ReportTransitSeals").RequireAuthorization(Security.StoragePolicies.ServiceCaller);
        return app;
    }

    internal static async Task<Results<Ok<TransitSealsResponse>, ProblemHttpResult>> Report(HttpContext http, TransitSeals seals, CancellationToken cancellationToken)
    {
        var (request, present, problem) = await JsonBody.ReadAsync<TransitSealsRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present || request!.Organizations is null) return Problems.Invalid("A JSON body {\"organizations\": {\"org_…\": [versions]}} is required.");
        foreach (var (organization, versions) in request.Organizations)
        {
            if (!OrganizationIds.IsWellFormed(organization)) return Problems.Invalid("Every key of organizations is an organization id.");
            if (versions is null || versions.Length == 0 || versions.Any(v => v < 1)) return Problems.Invalid("Every organization lists the key versions (1 or more) its live ciphertexts are under.");
            // Nothing is changed for a report that names an organization this caller may not use.
            if (!http.User.OperatorMayUse(organization)) return Problems.Denied("This service may not use that organization's keys.");
        }

        var scope = http.User.OperatorMayUse("*") ? null : http.User.Values(PlatformClaims.OperatorOrganization).ToList();
        var outcome = await seals.ReportAsync(TransitApi.Caller(http), scope, request.Organizations, cancellationToken);
        return TypedResults.Ok(new TransitSealsResponse(outcome.Current, outcome.Held, outcome.Released));
    }
}

/// <summary>Every organization (of those the caller may use) where it holds live ciphertexts, with the key versions they are under.</summary>
public sealed record TransitSealsRequest(Dictionary<string, int[]> Organizations);

/// <summary>The reported organizations' current key versions; how many versions are held and how many seals were released.</summary>
public sealed record TransitSealsResponse(IReadOnlyDictionary<string, int> Current, int Held, int Released);
