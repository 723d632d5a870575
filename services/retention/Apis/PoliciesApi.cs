using Npgsql;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Retention.Model;
using Platform.Retention.Policies;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// The organization's retention periods (SPEC RET-POLICY), for its members' identity tokens: every member reads them,
/// an Owner or Admin with a recent MFA changes one within the plan's bounds. The organization is the token's.
/// </summary>
public static class PoliciesApi
{
    private const int MaxBodyBytes = 4096;

    public static IEndpointRouteBuilder MapPoliciesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/retention/policies");
        api.MapGet("/", GetPolicies).WithName("GetRetentionPolicies").RequireAuthorization(RetentionPolicies.Read);
        api.MapPut("/{dataClass}", SetPolicy).WithName("SetRetentionPolicy").RequireAuthorization(RetentionPolicies.Change);
        return app;
    }

    internal static async Task<Ok<PoliciesResponse>> GetPolicies(HttpContext http, PolicyManager policies, CancellationToken cancellationToken)
    {
        var organizationId = http.User.OrganizationId()!;
        var (plan, items) = await policies.GetAsync(organizationId, cancellationToken);
        return TypedResults.Ok(new PoliciesResponse(organizationId, plan, items.Select(PolicyResponse.From).ToList()));
    }

    internal static async Task<Results<Ok<PolicyResponse>, ProblemHttpResult>> SetPolicy(
        string dataClass, HttpContext http, PolicyManager policies, NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        if (RetentionRules.Find(dataClass) is not { } rule) return await Problems.UnknownDataClassAsync(http);
        // Read-only while closing (SPEC RET-CLOSE): the periods in force stay as they were until deletion or cancellation.
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            if (await Closure.ClosureStore.CurrentAsync(connection, null, http.User.OrganizationId()!, cancellationToken) is { Status: not Closure.ClosureStatuses.Cancelled } closure)
                return await Problems.RefuseAsync(http, 409, closure.Status == Closure.ClosureStatuses.Closed ? "organization-closed" : "organization-closing", "The organization is closing",
                    $"This organization is closing: its retention policies are read-only until {closure.GraceEndsAt:O} unless an Owner cancels the closure. Nothing was changed.");
        }

        var (request, present, problem) = await JsonBody.ReadAsync<SetPolicyRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present) return await Problems.InvalidAsync(http, "A JSON body { \"days\": N } is required.");

        var change = await policies.SetAsync(http.User.OrganizationId()!, rule, request!.Days, ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        return change switch
        {
            { Policy: { } policy } => TypedResults.Ok(PolicyResponse.From(policy)),
            { Refusal: PolicyChange.NotConfigurableRefusal } => await Problems.RefuseAsync(http, 400, change.Refusal, "This class's retention is not configurable",
                $"Items of '{rule.DataClass}' are kept {Describe(rule)}; no policy changes that."),
            _ => await OutOfBoundsAsync(http, change, request.Days),
        };
    }

    private static Task<ProblemHttpResult> OutOfBoundsAsync(HttpContext http, PolicyChange change, int days)
    {
        var bounds = change.Bounds!;
        var (bound, limit) = days < bounds.MinDays ? ("minDays", bounds.MinDays) : ("maxDays", bounds.MaxDays);
        return Problems.RefuseAsync(http, 400, PolicyChange.OutOfBoundsRefusal, "The period is outside your plan's bounds",
            $"On the {change.Plan} plan, '{change.Rule.DataClass}' is kept from {bounds.MinDays} to {bounds.MaxDays} days; {days} is {(bound == "minDays" ? "below the minimum" : "above the maximum")} of {limit} days.",
            new Dictionary<string, object?> { ["plan"] = change.Plan, ["dataClass"] = change.Rule.DataClass, ["bound"] = bound, ["minDays"] = bounds.MinDays, ["maxDays"] = bounds.MaxDays });
    }

    private static string Describe(RetentionRule rule) => rule.Kind == RetentionKinds.WhileActive
        ? "while the account is active (deleted with their dataset or when deleted themselves)"
        : $"for their legal period ({rule.DefaultDays} days) after the organization is closed";
}
