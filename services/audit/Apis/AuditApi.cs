using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Audit.Data;
using Platform.Audit.Export;
using Platform.Audit.Model;
using Platform.Audit.Security;
using Platform.Security.Authentication;

namespace Platform.Audit.Apis;

/// <summary>
/// Reading the log: pages of entries and the streamed export, with the same filters and the same rule of who reads
/// which organization (<see cref="AuditPolicies.Read"/>, <see cref="AuditAccess"/>).
/// </summary>
public static class AuditApi
{
    public static IEndpointRouteBuilder MapAuditApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/v1/audit");
        api.MapGet("/events", ListEvents).WithName("ListAuditEvents").RequireAuthorization(AuditPolicies.Read);
        api.MapGet("/events/export", (Delegate)ExportEvents).WithName("ExportAuditEvents").RequireAuthorization(AuditPolicies.Read);
        return app;
    }

    internal static async Task<Results<Ok<AuditPage>, ProblemHttpResult, ValidationProblem>> ListEvents(
        HttpContext http, AuditStore store, CancellationToken cancellationToken)
    {
        var (query, errors) = AuditQuery.Parse(http.Request.Query);
        if (query is null) return Invalid(errors);

        var (allowed, organization, refusal) = await AuditAccess.OrganizationAsync(http, query.Organization);
        if (!allowed) return refusal!;
        if (await AuditAccess.CursorRefusalAsync(http, organization, query.After) is { } cursorRefusal) return cursorRefusal;

        return TypedResults.Ok(await store.QueryAsync(query with { Organization = organization }, cancellationToken));
    }

    internal static async Task<Results<ExportResult, ProblemHttpResult, ValidationProblem>> ExportEvents(HttpContext http)
    {
        var (query, errors) = AuditQuery.Parse(http.Request.Query, export: true);
        if (query is null) return Invalid(errors);

        var (allowed, organization, refusal) = await AuditAccess.OrganizationAsync(http, query.Organization);
        if (!allowed) return refusal!;
        return new ExportResult(query with { Organization = organization });
    }

    private static ValidationProblem Invalid(Dictionary<string, string[]> errors) =>
        TypedResults.ValidationProblem(errors, type: Problems.InvalidQuery, title: "The query has invalid parameters");
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
    public const string SiemDestinationLimit = "https://platform.dev/problems/siem-destination-limit";
    public const string RetentionOutOfBounds = "https://platform.dev/problems/retention-out-of-bounds";
}
