using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Platform.Security.Authentication;

namespace Platform.Security.Closure;

/// <summary>
/// Read-only while closing (SPEC RET-CLOSE), for every service that keeps a <c>closing_organizations</c> table
/// (<see cref="ClosureRequestedHandler"/>): every change under <c>/v1/organizations/{org}/…</c> of an organization that
/// is closing or closed — storage's uploads and deletions, keys' keys, secrets and network policy — is refused 409 <c>organization-closing</c> (or
/// <c>organization-closed</c>) with a <c>request.refused</c> audit entry, after authentication and authorization
/// decided (so no one learns another organization's state); reads and downloads go on.
/// </summary>
public static class ClosingOrganizationGuard
{
    public static IApplicationBuilder UseClosingOrganizationGuard(this IApplicationBuilder app) => app.Use(async (http, next) =>
    {
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method) || HttpMethods.IsOptions(http.Request.Method)
            || !http.Request.Path.StartsWithSegments("/v1/organizations") || http.GetRouteValue("organizationId") is not string organizationId)
        {
            await next(http);
            return;
        }

        await using var command = http.RequestServices.GetRequiredService<NpgsqlDataSource>().CreateCommand(
            "SELECT closure_id, status, grace_ends_at FROM closing_organizations WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = organizationId });
        (string ClosureId, string Status, DateTimeOffset GraceEndsAt)? closing = null;
        await using (var reader = await command.ExecuteReaderAsync(http.RequestAborted))
        {
            if (await reader.ReadAsync(http.RequestAborted)) closing = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2));
        }

        if (closing is not var (closureId, status, graceEndsAt))
        {
            await next(http);
            return;
        }

        var slug = status == "closed" ? "organization-closed" : "organization-closing";
        if (http.User.Actor() is { } actor)
        {
            await http.RequestServices.GetRequiredService<ISecurityAudit>().RecordAsync(new SecurityAuditEntry(actor, "request.refused", organizationId,
                http.Request.Path.Value, "denied", http.User.ClientAddress(), Refusals.RequestId(http), new() { ["reason"] = slug, ["method"] = http.Request.Method, ["closureId"] = closureId }),
                http.RequestAborted);
        }

        await TypedResults.Problem(statusCode: StatusCodes.Status409Conflict, type: PlatformProblems.Base + slug,
            title: status == "closed" ? "The organization is closed" : "The organization is closing",
            detail: status == "closed"
                ? "This organization was closed and its data deleted; nothing can be changed."
                : $"This organization is closing: it is read-only until {graceEndsAt:O} (reads and exports still work). An Owner can cancel the closure until then. Nothing was changed.",
            extensions: new Dictionary<string, object?> { ["closureId"] = closureId, ["graceEndsAt"] = graceEndsAt }).ExecuteAsync(http);
    });
}
