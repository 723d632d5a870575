using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Audit.Data;
using Platform.Audit.Model;
using Platform.Audit.Security;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit");
        api.MapGet("/events", ListEvents).WithName("ListAuditEvents").RequireAuthorization(AuditPolicies.Read);
        return app;
    }

    internal static async Task<Results<Ok<AuditPage>, ProblemHttpResult, ValidationProblem>> ListEvents(
        HttpRequest request, AuditStore store, CancellationToken cancellationToken)
    {
        var (query, errors) = AuditQuery.Parse(request.Query);
        if (query is null)
        {
            return TypedResults.ValidationProblem(errors, type: Problems.InvalidQuery, title: "The query has invalid parameters");
        }

        var reader = request.HttpContext.User;
        if (query.Organization is null ? !reader.OperatorMayUse("*") : !reader.OperatorMayUse(query.Organization))
        {
            return TypedResults.Problem(statusCode: 403, type: Problems.Forbidden, title: "Not allowed",
                detail: query.Organization is null
                    ? "This credential reads specific organizations: give 'organization'."
                    : "This credential may not read that organization's audit log.");
        }

        return TypedResults.Ok(await store.QueryAsync(query, cancellationToken));
    }
}

/// <summary>Stable problem types of this API (RFC 9457).</summary>
internal static class Problems
{
    public const string Unauthenticated = "https://platform.dev/problems/unauthenticated";
    public const string Forbidden = "https://platform.dev/problems/forbidden";
    public const string InvalidQuery = "https://platform.dev/problems/invalid-query";
    public const string NotFound = "https://platform.dev/problems/not-found";
    public const string UnknownEntry = "https://platform.dev/problems/unknown-audit-entry";
    public const string TreeSizeOutOfRange = "https://platform.dev/problems/tree-size-out-of-range";
    public const string NoCheckpoint = "https://platform.dev/problems/no-checkpoint";
    public const string SiemDestinationInvalid = "https://platform.dev/problems/siem-destination-invalid";
}
