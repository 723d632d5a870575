using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Events;

namespace Platform.Identity.Closure;

/// <summary>
/// Read-only while closing (SPEC RET-CLOSE): an organization that retention announced closing
/// (<c>closing_organizations</c>, kept by <see cref="ClosureRequestedHandler"/>) refuses every
/// change through identity's organization API — invitations, roles, member removal, settings, grants, client
/// registrations — with 409 <c>organization-closing</c> and an <c>identity.api.refused</c> entry; reads go on. Asked only
/// once the caller is known to be a member, so no one learns another organization's state.
/// </summary>
internal sealed class ClosingOrganizations(NpgsqlDataSource dataSource, AuditTrail audit, TimeProvider time)
{
    public async Task<IResult?> RefusalAsync(HttpContext http, string orgId, string actor, RequestInfo request)
    {
        if (HttpMethods.IsGet(http.Request.Method) || HttpMethods.IsHead(http.Request.Method)) return null;
        await using var command = dataSource.CreateCommand("SELECT closure_id, status, grace_ends_at FROM closing_organizations WHERE organization_id = $1");
        command.Parameters.Add(new() { Value = orgId });
        await using var reader = await command.ExecuteReaderAsync(http.RequestAborted);
        if (!await reader.ReadAsync(http.RequestAborted)) return null;
        var (closureId, status, graceEndsAt) = (reader.GetString(0), reader.GetString(1), reader.GetFieldValue<DateTimeOffset>(2));
        var slug = status == "closed" ? "organization-closed" : "organization-closing";
        await audit.RecordAsync(request.Audit(time.GetUtcNow(), actor, AuditActions.AccessRefused, "failure", http.Request.Path, orgId,
            new Dictionary<string, string> { ["reason"] = slug, ["method"] = http.Request.Method, ["closureId"] = closureId }), http.RequestAborted);
        return Results.Problem(statusCode: 409, type: "https://platform.dev/problems/" + slug,
            title: status == "closed" ? "The organization is closed" : "The organization is closing",
            detail: status == "closed"
                ? "This organization was closed; nothing can be changed."
                : $"This organization is closing: it is read-only until {graceEndsAt:O} (reads and exports still work). An Owner can cancel the closure until then. Nothing was changed.",
            extensions: new Dictionary<string, object?> { ["closureId"] = closureId, ["graceEndsAt"] = graceEndsAt });
    }
}
