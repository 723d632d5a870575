using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Security.Authentication;

namespace Platform.Residency.Apis;

/// <summary>
/// The refusals this API decides itself (RFC 9457, stable types under https://platform.dev/problems/): each one is
/// also a <c>request.refused</c> audit entry naming the principal and the client address, like a policy's refusal.
/// </summary>
internal static class Problems
{
    public static async Task<ProblemHttpResult> RefuseAsync(HttpContext http, int status, string slug, string title, string detail,
        IDictionary<string, object?>? extensions = null)
    {
        if (http.User.Actor() is not null)
        {
            await http.RequestServices.GetRequiredService<ISecurityAudit>().RecordAsync(new SecurityAuditEntry(
                http.User.Actor()!, "request.refused", http.User.OrganizationId() ?? http.GetRouteValue("organizationId") as string, http.Request.Path.Value, "denied",
                http.User.ClientAddress(), Refusals.RequestId(http), new() { ["reason"] = slug, ["method"] = http.Request.Method }), http.RequestAborted);
        }

        return TypedResults.Problem(statusCode: status, type: PlatformProblems.Base + slug, title: title, detail: detail, extensions: extensions);
    }

    public static Task<ProblemHttpResult> InvalidAsync(HttpContext http, string detail) =>
        RefuseAsync(http, 400, "invalid-request", "The request is invalid", detail);
}
