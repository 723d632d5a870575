using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Platform.Security.Authentication;
using Platform.Storage.Model;

namespace Platform.Storage.Residency;

/// <summary>
/// This storage serves one region (SPEC RES-ENFORCE) and refuses, as a 421 <c>wrong-region</c> problem and a
/// <c>request.refused</c> audit entry naming both regions, any request for data pinned elsewhere, however it got here
/// (a misrouted request, a forged region header, a direct call): a dataset id that names another region; a new
/// dataset of an organization pinned to another region (the gateway's signed <c>X-Platform-Residency-Region</c>);
/// a client's <c>Platform-Region</c> header naming another region. Nothing is read or written.
/// </summary>
internal sealed partial class RegionGuard(IOptions<StorageOptions> options, ISecurityAudit audit, ILogger<RegionGuard> logger) : IEndpointFilter
{
    /// <summary>The region a client asks for; the gateway routes by it and refuses one the organization may not use.</summary>
    public const string ClientHeader = "Platform-Region";

    /// <summary>Set and signed by the gateway when the organization keeps everything in one region.</summary>
    public const string ResidencyHeader = "X-Platform-Residency-Region";

    private readonly string region = options.Value.Region;

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        if (Misdirected(http) is not { } pinned) return await next(context);
        return await RefuseAsync(http, pinned.Region, pinned.Reason);
    }

    /// <summary>The 421 <c>wrong-region</c> problem and its audit entry: the <paramref name="reason"/> is pinned to <paramref name="pinnedRegion"/>.</summary>
    public async Task<ProblemHttpResult> RefuseAsync(HttpContext http, string pinnedRegion, string reason)
    {
        var pinned = (Region: pinnedRegion, Reason: reason);
        LogRefused(logger, http.GetRouteValue("organizationId") as string, pinned.Region, region, pinned.Reason);
        if (http.User.Actor() is { } actor)
        {
            await audit.RecordAsync(new SecurityAuditEntry(actor, "request.refused", http.GetRouteValue("organizationId") as string ?? http.User.OrganizationId(),
                http.Request.Path.Value, "denied", http.User.ClientAddress(), Refusals.RequestId(http), new()
                {
                    ["reason"] = "wrong-region", ["method"] = http.Request.Method, ["pinnedRegion"] = pinned.Region, ["servingRegion"] = region, ["why"] = pinned.Reason,
                }), http.RequestAborted);
        }

        return TypedResults.Problem(statusCode: StatusCodes.Status421MisdirectedRequest, type: PlatformProblems.Base + "wrong-region",
            title: "That data belongs to another region",
            detail: $"This is the storage of region '{region}'; the {pinned.Reason} is pinned to region '{pinned.Region}'. Nothing was read or stored here.",
            extensions: new Dictionary<string, object?> { ["region"] = pinned.Region, ["servingRegion"] = region });
    }

    private (string Region, string Reason)? Misdirected(HttpContext http)
    {
        if (http.GetRouteValue("datasetId") is string datasetId && DatasetIds.RegionOf(datasetId) is { } datasetRegion && datasetRegion != region)
            return (datasetRegion, "dataset");
        if (http.Request.Headers[ClientHeader] is [{ } named] && named != region) return (Regions.IsWellFormed(named) ? named : "(malformed)", "request");
        if (http.Request.Headers[ClientHeader].Count > 1) return ("(several)", "request");
        if (HttpMethods.IsPost(http.Request.Method) && http.GetRouteValue("datasetId") is null
            && http.Request.Headers[ResidencyHeader] is [{ } residency] && residency != region)
            return (residency, "organization");
        return null;
    }

    [LoggerMessage(EventId = 3501, Level = LogLevel.Warning,
        Message = "Refused a request of {OrganizationId} for region {PinnedRegion} at the storage of {Region} ({Reason})")]
    private static partial void LogRefused(ILogger logger, string? organizationId, string pinnedRegion, string region, string reason);
}
