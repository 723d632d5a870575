using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Retention.Data;
using Platform.Retention.Model;
using Platform.Retention.Policies;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention.Apis;

/// <summary>
/// An organization's plan, for operators on direct calls (<c>Retention:Operators</c>): identity has no plan or billing
/// yet, so retention keeps it. Narrowing a plan keeps the chosen periods but applies them within the new bounds.
/// </summary>
public static class PlansApi
{
    private const int MaxBodyBytes = 1024;

    public static IEndpointRouteBuilder MapPlansApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/retention/organizations/{organizationId}/plan").RequireAuthorization(RetentionPolicies.Operate);
        api.MapGet("/", GetPlan).WithName("GetRetentionPlan");
        api.MapPut("/", SetPlan).WithName("SetRetentionPlan");
        return app;
    }

    internal static async Task<Results<Ok<PlanResponse>, ProblemHttpResult>> GetPlan(string organizationId, HttpContext http, PolicyStore store, CancellationToken cancellationToken)
    {
        if (!OrganizationIds.IsWellFormed(organizationId)) return await Problems.InvalidAsync(http, "An organization id is org_ and 1 to 60 letters or digits.");
        var plan = await store.GetPlanAsync(organizationId, cancellationToken);
        return TypedResults.Ok(new PlanResponse(organizationId, plan.Plan, plan.UpdatedAt, plan.UpdatedBy));
    }

    internal static async Task<Results<Ok<PlanResponse>, ProblemHttpResult>> SetPlan(string organizationId, HttpContext http, PolicyManager policies, CancellationToken cancellationToken)
    {
        if (!OrganizationIds.IsWellFormed(organizationId)) return await Problems.InvalidAsync(http, "An organization id is org_ and 1 to 60 letters or digits.");
        var (request, present, problem) = await JsonBody.ReadAsync<SetPlanRequest>(http.Request, MaxBodyBytes, cancellationToken);
        if (problem is not null) return problem;
        if (!present || !Plans.IsKnown(request!.Plan)) return await Problems.InvalidAsync(http, $"A JSON body {{ \"plan\" }} is required, one of: {string.Join(", ", Plans.All)}.");
        var plan = await policies.SetPlanAsync(organizationId, request.Plan, ChangeContext.From(http, http.User.Actor()!), cancellationToken);
        return TypedResults.Ok(new PlanResponse(organizationId, plan.Plan, plan.UpdatedAt, plan.UpdatedBy));
    }
}
