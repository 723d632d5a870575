using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Security.Authentication;
using Platform.Storage.Apis;
using Platform.Storage.Model;
using Platform.Storage.Security;

namespace Platform.Storage.Residency;

/// <summary>
/// <c>PUT|DELETE /internal/v1/organizations/{org}/residency-fence</c> for services with a storage service credential
/// (residency, before and after it pins an organization): <see cref="ResidencyFences"/>. Answers once every dataset
/// creation of the organization under way here has ended.
/// </summary>
public static partial class ResidencyFenceApi
{
    public static IEndpointRouteBuilder MapResidencyFenceApi(this IEndpointRouteBuilder app)
    {
        app.MapPut("/internal/v1/organizations/{organizationId}/residency-fence", SetFence)
            .WithName("SetResidencyFence").RequireAuthorization(StoragePolicies.Service);
        app.MapDelete("/internal/v1/organizations/{organizationId}/residency-fence", LiftFence)
            .WithName("LiftResidencyFence").RequireAuthorization(StoragePolicies.Service);
        return app;
    }

    internal static async Task<Results<Ok<FenceResponse>, ProblemHttpResult>> SetFence(
        string organizationId, HttpContext http, NpgsqlDataSource dataSource, TimeProvider time, IOptions<StorageOptions> options, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        var (request, present, problem) = await JsonBody.ReadAsync<FenceRequest>(http.Request, 256, cancellationToken);
        if (problem is not null) return problem;
        if (!present || !Regions.IsWellFormed(request!.Region)) return Problems.Invalid("A JSON body { \"region\": \"…\" } naming the organization's one region is required.");
        await ResidencyFences.SetAsync(dataSource, organizationId, request.Region, time.GetUtcNow(), http.User.Actor()!, cancellationToken);
        LogFence(logs.CreateLogger(nameof(ResidencyFenceApi)), organizationId, request.Region, options.Value.Region, http.User.Actor()!);
        return TypedResults.Ok(new FenceResponse(organizationId, options.Value.Region, request.Region));
    }

    internal static async Task<Results<Ok<FenceResponse>, ProblemHttpResult>> LiftFence(
        string organizationId, HttpContext http, NpgsqlDataSource dataSource, TimeProvider time, IOptions<StorageOptions> options, ILoggerFactory logs, CancellationToken cancellationToken)
    {
        if (TransitApi.Authorize(http, organizationId) is { } denied) return denied;
        await ResidencyFences.SetAsync(dataSource, organizationId, null, time.GetUtcNow(), http.User.Actor()!, cancellationToken);
        LogFence(logs.CreateLogger(nameof(ResidencyFenceApi)), organizationId, null, options.Value.Region, http.User.Actor()!);
        return TypedResults.Ok(new FenceResponse(organizationId, options.Value.Region, null));
    }

    [LoggerMessage(EventId = 3502, Level = LogLevel.Information, Message = "Residency fence of {OrganizationId} at the storage of {Region} set to {FencedTo} by {Actor}")]
    private static partial void LogFence(ILogger logger, string organizationId, string? fencedTo, string region, string actor);
}

public sealed record FenceRequest(string Region);

/// <summary>The organization's fence at this region's storage: new datasets only in <see cref="FencedTo"/> (null: none).</summary>
public sealed record FenceResponse(string OrganizationId, string Region, string? FencedTo);
