using Microsoft.Extensions.Options;
using Platform.Identity.Apis;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;

namespace Platform.Identity.Scim;

public sealed record IssueScimTokenRequest(string DefaultRole = "Viewer");

/// <summary>The token, shown exactly once, and where to point the IdP's provisioning.</summary>
public sealed record IssuedScimTokenResponse(string Token, string Hint, string DefaultRole, string BaseUrl);

public sealed record ScimRoleMappingsRequest(IReadOnlyList<ScimRoleMapping> Mappings);

/// <summary>
/// <c>/v1/organizations/{org}/scim/…</c>: Owners with a second factor within the step-up window create, rotate and
/// revoke the SCIM token and set the group → role mappings; Owners and Admins read the token's status and the
/// mappings. Refusals of a signed-in caller are audited (<c>identity.scim.refused</c>).
/// </summary>
internal static class ScimAdminApi
{
    public static IEndpointRouteBuilder MapScimAdminApi(this IEndpointRouteBuilder app)
    {
        var scim = app.MapGroup("/v1/organizations/{orgId}/scim");
        scim.MapGet("/token", Status);
        scim.MapPost("/token", Issue);
        scim.MapDelete("/token", Revoke);
        scim.MapGet("/role-mappings", Mappings);
        scim.MapPut("/role-mappings", ReplaceMappings);
        return app;
    }

    public static string BaseUrl(string issuer) => issuer.TrimEnd('/') + "/scim/v2/";

    private static async Task<IResult> Status(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit, TimeProvider clock, ScimTokens tokens)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: false, "token-status");
        if (caller is null) return refusal!;
        return await tokens.StatusAsync(orgId, http.RequestAborted) is { } status ? Results.Ok(status) : Problems.NoSuch("SCIM token");
    }

    private static async Task<IResult> Issue(string orgId, IssueScimTokenRequest body, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit,
        TimeProvider clock, ScimTokens tokens, IOptions<IdentityOptions> options)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "issue-token");
        if (caller is null) return refusal!;
        if (!OrgRoles.IsValid(body.DefaultRole) || body.DefaultRole == OrgRoles.Owner)
        {
            return Problems.Invalid("defaultRole", "defaultRole must be Admin, Developer, Viewer or Auditor: SCIM never makes an Owner.");
        }

        var token = await tokens.IssueAsync(orgId, caller.UserId, body.DefaultRole, access.Request(http), http.RequestAborted);
        http.Response.Headers.CacheControl = "no-store";
        return Results.Created($"/v1/organizations/{orgId}/scim/token",
            new IssuedScimTokenResponse(token, ScimTokens.HintOf(token), body.DefaultRole, BaseUrl(options.Value.Issuer)));
    }

    private static async Task<IResult> Revoke(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit, TimeProvider clock, ScimTokens tokens)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "revoke-token");
        if (caller is null) return refusal!;
        return await tokens.RevokeAsync(orgId, caller.UserId, access.Request(http), http.RequestAborted) ? Results.NoContent() : Problems.NoSuch("SCIM token");
    }

    private static async Task<IResult> Mappings(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit, TimeProvider clock,
        ScimRoleMappings mappings)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: false, "list-role-mappings");
        if (caller is null) return refusal!;
        return Results.Ok(new { mappings = await mappings.ListAsync(orgId, http.RequestAborted) });
    }

    private static async Task<IResult> ReplaceMappings(string orgId, ScimRoleMappingsRequest body, HttpContext http, OrganizationService organizations, ApiAccess access,
        AuditTrail audit, TimeProvider clock, ScimRoleMappings mappings)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "replace-role-mappings");
        if (caller is null) return refusal!;
        if (ScimRoleMappings.Validate(body.Mappings) is { } reason) return Problems.Invalid("mappings", reason);
        await mappings.ReplaceAsync(orgId, caller.UserId, body.Mappings, access.Request(http), http.RequestAborted);
        return Results.Ok(new { mappings = await mappings.ListAsync(orgId, http.RequestAborted) });
    }

    private static async Task<(Caller? Caller, IResult? Refusal)> AuthorizeAsync(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access,
        AuditTrail audit, TimeProvider clock, bool ownerOnly, string operation)
    {
        var (caller, refusal) = await access.OrganizationCallerAsync(http, orgId);
        if (caller is null) return (null, refusal);
        var role = Ids.IsWellFormed(orgId, "org_") ? await organizations.RoleOfAsync(orgId, caller.UserId, http.RequestAborted) : null;
        if (role is null)
        {
            await RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "not-a-member", operation);
            return (null, Problems.NoSuch("organization"));
        }

        if (ownerOnly ? role != OrgRoles.Owner : !OrgRoles.Administers(role))
        {
            await RefuseAsync(http, access, audit, clock, caller.UserId, orgId, ownerOnly ? "not-owner" : "not-administrator", operation);
            return (null, Problems.Forbid(ownerOnly ? "Only an Owner can configure SCIM provisioning." : "Only Owners and Admins can see SCIM settings."));
        }

        if (ownerOnly && access.RequireStepUp(http, caller) is { } stepUp) return (null, stepUp);
        // SPEC RET-CLOSE: read-only while the organization closes, except revoking the token, which only takes access away.
        if (operation != "revoke-token"
            && await http.RequestServices.GetRequiredService<Closure.ClosingOrganizations>().RefusalAsync(http, orgId, caller.UserId, access.Request(http)) is { } closing)
        {
            return (null, closing);
        }

        return (caller, null);
    }

    private static Task RefuseAsync(HttpContext http, ApiAccess access, AuditTrail audit, TimeProvider clock, string actor, string orgId, string reason, string operation) =>
        audit.RecordAsync(access.Request(http).Audit(clock.GetUtcNow(), actor, AuditActions.ScimRefused, "failure", http.Request.Path,
            Ids.IsWellFormed(orgId, "org_") ? orgId : null, new Dictionary<string, string> { ["reason"] = reason, ["operation"] = operation }), http.RequestAborted);
}
