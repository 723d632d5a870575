using System.Security.Claims;
using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Audit.Apis;
using Platform.Security.Authentication;

namespace Platform.Audit.Security;

/// <summary>
/// Which organization's log a request reads, after <see cref="AuditPolicies.Read"/> let its principal in:
/// <list type="bullet">
/// <item>an operator's reader: the organization it names, if the credential lists it; none (every organization, or
/// the log of events without one) only for a reader of <c>*</c>;</item>
/// <item>a customer: its token's organization, whether named or not. Naming another one — in <c>organization</c> or
/// through a cursor of another organization's page — is refused (403 <c>forbidden</c>) before anything is read, and the
/// refusal is an audit entry of the customer's own organization naming the user, the address and the organization
/// asked for.</item>
/// </list>
/// </summary>
internal static class AuditAccess
{
    /// <summary>The organization to read (null: none, operators only), or the refusal.</summary>
    public static async Task<(bool Allowed, string? Organization, ProblemHttpResult? Refusal)> OrganizationAsync(HttpContext http, string? requested)
    {
        var user = http.User;
        if (!AuditPolicies.IsCustomer(user))
        {
            if (requested is null ? user.OperatorMayUse("*") : user.OperatorMayUse(requested)) return (true, requested, null);
            return (false, null, TypedResults.Problem(statusCode: 403, type: Problems.Forbidden, title: "Not allowed",
                detail: requested is null
                    ? "This credential reads specific organizations: give 'organization'."
                    : "This credential may not read that organization's audit log."));
        }

        var own = user.OrganizationId()!;
        if (requested is null || requested == own) return (true, own, null);
        return (false, null, await RefuseOtherOrganizationAsync(http, requested, "organization"));
    }

    /// <summary>A cursor must come from a page of the same organization's log.</summary>
    public static async Task<ProblemHttpResult?> CursorRefusalAsync(HttpContext http, string? organization, AuditCursor? cursor)
    {
        if (cursor is null || cursor.Organization == organization) return null;
        var user = http.User;
        var mayRead = AuditPolicies.IsCustomer(user)
            ? cursor.Organization == user.OrganizationId()
            : cursor.Organization is null ? user.OperatorMayUse("*") : user.OperatorMayUse(cursor.Organization);
        return mayRead
            ? TypedResults.Problem(statusCode: 400, type: Problems.InvalidQuery, title: "The query has invalid parameters",
                detail: "The cursor belongs to a page of another organization's log: start again without it.")
            : AuditPolicies.IsCustomer(user)
                ? await RefuseOtherOrganizationAsync(http, cursor.Organization, "cursor")
                : TypedResults.Problem(statusCode: 403, type: Problems.Forbidden, title: "Not allowed", detail: "This credential may not read that organization's audit log.");
    }

    private static async Task<ProblemHttpResult> RefuseOtherOrganizationAsync(HttpContext http, string? requested, string through)
    {
        var user = http.User;
        await http.RequestServices.GetRequiredService<ISecurityAudit>().RecordAsync(new SecurityAuditEntry(
            user.Actor()!, "request.refused", user.OrganizationId(), http.Request.Path.Value, "denied", user.ClientAddress(), Refusals.RequestId(http),
            new()
            {
                ["reason"] = "other-organization",
                ["method"] = http.Request.Method,
                ["through"] = through,
                ["requestedOrganization"] = requested ?? "",
            }), http.RequestAborted);
        return TypedResults.Problem(statusCode: 403, type: Problems.Forbidden, title: "Not allowed",
            detail: "You read only your own organization's audit log.");
    }
}
