using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Retention.Data;
using Platform.Retention.Holds;
using Platform.Retention.Model;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// Legal holds (SPEC RET-HOLD) of the token's organization: Owners and Admins list them; placing and releasing one
/// needs a recent MFA. A target that does not exist in the organization (another organization's included) is a 404,
/// and nothing is held.
/// </summary>
public static partial class HoldsApi
{
    private const int MaxBodyBytes = 8192;
    private const int MaxReasonLength = 1000;

    public static IEndpointRouteBuilder MapHoldsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/retention/holds");
        api.MapGet("/", ListHolds).WithName("ListLegalHolds").RequireAuthorization(RetentionPolicies.Manage);
        api.MapPost("/", PlaceHold).WithName("PlaceLegalHold").RequireAuthorization(RetentionPolicies.Change);
        api.MapPost("/{holdId}/release", ReleaseHold).WithName("ReleaseLegalHold").RequireAuthorization(RetentionPolicies.Change);
        return app;
    }

    internal static async Task<Results<Ok<HoldsResponse>, ProblemHttpResult>> ListHolds(
        string? status, HttpContext http, HoldStore store, CancellationToken cancellationToken)
    {
        if (status is not (null or "active" or "all")) return await Problems.InvalidAsync(http, "status is 'active' (the default) or 'all'.");
        var organizationId = http.User.OrganizationId()!;
        var holds = await store.ListAsync(organizationId, status == "all", cancellationToken);
        return TypedResults.Ok(new HoldsResponse(organizationId, holds.Select(HoldResponse.From).ToList()));
    }

    internal static async Task<Results<Created<HoldResponse>, ProblemHttpResult>> PlaceHold(
        HttpContext http, HoldTargets targets, HoldManager holds, CancellationToken cancellationToken)
    {
        var (request, present, problem) = await JsonBody.ReadAsync<PlaceHoldRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return await Problems.InvalidAsync(http, "A JSON body { \"scope\", \"target\", \"reason\" } is required.");
        if (!HoldScopes.All.Contains(request!.Scope)) return await Problems.InvalidAsync(http, $"scope must be one of: {string.Join(", ", HoldScopes.All)}.");
        if (ReasonProblem(request.Reason) is { } reasonProblem) return await Problems.InvalidAsync(http, reasonProblem);

        var organizationId = http.User.OrganizationId()!;
        var target = request.Scope == HoldScopes.Organization ? request.Target ?? organizationId : request.Target;
        if (target is null || !TargetPattern().IsMatch(target)) return await Problems.InvalidAsync(http, "target is required for this scope: an id or a data class (letters, digits, '_' and '-', at most 100).");
        if (request.Scope == HoldScopes.DataClass && !Platform.Messaging.Contracts.DataClasses.IsKnown(target)) return await Problems.UnknownDataClassAsync(http);

        switch (await targets.CheckAsync(organizationId, request.Scope, target, http, cancellationToken))
        {
            case TargetCheck.NotFound:
                return await Problems.RefuseAsync(http, 404, "hold-target-not-found", "Nothing to hold",
                    $"Your organization has no {request.Scope.Replace('_', ' ')} '{target}'. Nothing was held.");
            case TargetCheck.Unavailable:
                return await Problems.RefuseAsync(http, 503, "hold-target-unavailable", "The hold's target could not be checked",
                    "The service that owns it did not answer. Nothing was held; try again.");
        }

        var hold = await holds.PlaceAsync(organizationId, request.Scope, target, request.Reason.Trim(), ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        return hold is null
            ? await Problems.RefuseAsync(http, 409, "hold-exists", "Already held", "An active legal hold already covers that target; see GET /v1/retention/holds.")
            : TypedResults.Created($"/v1/retention/holds/{hold.Id}", HoldResponse.From(hold));
    }

    internal static async Task<Results<Ok<HoldResponse>, ProblemHttpResult>> ReleaseHold(
        string holdId, HttpContext http, HoldManager holds, CancellationToken cancellationToken)
    {
        var (request, present, problem) = await JsonBody.ReadAsync<ReleaseHoldRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return await Problems.InvalidAsync(http, "A JSON body { \"reason\" } is required: a release is recorded with why.");
        if (ReasonProblem(request!.Reason) is { } reasonProblem) return await Problems.InvalidAsync(http, reasonProblem);

        var (hold, alreadyReleased) = TargetPattern().IsMatch(holdId)
            ? await holds.ReleaseAsync(http.User.OrganizationId()!, holdId, request.Reason.Trim(), ChangeContext.From(http, http.User.Actor()!), cancellationToken)
            : (null, false);
        if (hold is null) return await Problems.RefuseAsync(http, 404, "not-found", "No such hold", "Your organization has no legal hold with that id.");
        if (alreadyReleased) return await Problems.RefuseAsync(http, 409, "hold-released", "Already released", "That legal hold was released before; nothing changed.");
        return TypedResults.Ok(HoldResponse.From(hold));
    }

    private static string? ReasonProblem(string? reason) =>
        string.IsNullOrWhiteSpace(reason) || reason.Length > MaxReasonLength || reason.Any(char.IsControl)
            ? $"reason is required: 1 to {MaxReasonLength} characters without control characters."
            : null;

    [GeneratedRegex("^[A-Za-z0-9_-]{1,100}$")]
    private static partial Regex TargetPattern();
}
