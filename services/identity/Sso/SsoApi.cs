using Platform.Identity.Apis;
using Platform.Identity.Events;
using Platform.Identity.Model;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;

namespace Platform.Identity.Sso;

public sealed record CreateSsoConnectionRequest(string Name, string Issuer, string ClientId, string ClientSecret, IReadOnlyList<string>? Scopes = null, string DefaultRole = "Developer");

/// <summary>A connection as shown to administrators: never the client secret.</summary>
public sealed record SsoConnectionResponse(string Id, string Name, string Issuer, string ClientId, string Scopes, string DefaultRole, string RedirectUri, DateTimeOffset CreatedAt,
    string Protocol = SsoConnection.Oidc);

public sealed record SsoRoleMapping(string? Group, string? Role);

/// <summary>A connection's IdP groups → roles (never Owner) and the claim (OIDC) or attribute (SAML) that carries the groups.</summary>
public sealed record SsoRoleMappingsRequest(IReadOnlyList<SsoRoleMapping>? Mappings, string? GroupsClaim = null);

public sealed record ClaimDomainRequest(string Domain, string ConnectionId);

public sealed record SsoDomainResponse(string Domain, string ConnectionId, bool Verified, bool SsoOnly, string TxtName, string TxtValue);

public sealed record DomainSettingsRequest(bool SsoOnly);

/// <summary>
/// <c>/v1/organizations/{org}/sso/…</c>: Owners (with a second factor within the step-up window) manage connections
/// and domains; Owners and Admins list them. Every refusal of a signed-in caller is audited with its reason.
/// </summary>
internal static class SsoApi
{
    public const string DomainTaken = "https://platform.dev/problems/sso-domain-taken";
    public const string DomainNotVerified = "https://platform.dev/problems/sso-domain-not-verified";
    public const string IssuerUnusable = "https://platform.dev/problems/sso-issuer-unusable";

    public static IEndpointRouteBuilder MapSsoApi(this IEndpointRouteBuilder app)
    {
        var sso = app.MapGroup("/v1/organizations/{orgId}/sso");
        sso.MapGet("/connections", ListConnections);
        sso.MapPost("/connections", CreateConnection);
        sso.MapDelete("/connections/{connectionId}", DeleteConnection);
        sso.MapGet("/connections/{connectionId}/role-mappings", RoleMappings);
        sso.MapPut("/connections/{connectionId}/role-mappings", SetRoleMappings);
        sso.MapGet("/domains", ListDomains);
        sso.MapPost("/domains", ClaimDomain);
        sso.MapPost("/domains/{domain}/verify", VerifyDomain);
        sso.MapPut("/domains/{domain}", DomainSettings);
        return app;
    }

    public static string RedirectUri(string issuer) => issuer.TrimEnd('/') + "/sso/callback";

    private static async Task<IResult> ListConnections(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit, SsoStore store,
        Microsoft.Extensions.Options.IOptions<IdentityOptions> options, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: false, "list-connections");
        if (caller is null) return refusal!;
        var list = await store.ConnectionsAsync(orgId, http.RequestAborted);
        return Results.Ok(new { items = list.Select(c => Response(c, options.Value.Issuer)) });
    }

    private static async Task<IResult> CreateConnection(string orgId, CreateSsoConnectionRequest body, HttpContext http, OrganizationService organizations, ApiAccess access,
        AuditTrail audit, SsoAdministration administration, Microsoft.Extensions.Options.IOptions<IdentityOptions> options, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "create-connection");
        if (caller is null) return refusal!;
        if (SsoAdministration.Validate(body.Name, body.Issuer, body.ClientId, body.ClientSecret, body.Scopes, body.DefaultRole) is { } reason) return Problems.Invalid("connection", reason);
        var (connection, error) = await administration.CreateConnectionAsync(orgId, caller.UserId, body.Name, body.Issuer, body.ClientId, body.ClientSecret, body.Scopes, body.DefaultRole,
            access.Request(http), http.RequestAborted);
        if (connection is null) return Results.Problem(statusCode: 400, type: IssuerUnusable, title: "The issuer cannot be used", detail: error);
        return Results.Created($"/v1/organizations/{orgId}/sso/connections/{connection.Id}", Response(connection, options.Value.Issuer));
    }

    private static async Task<IResult> RoleMappings(string orgId, string connectionId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit,
        SsoStore store, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: false, "list-role-mappings");
        if (caller is null) return refusal!;
        if (!Ids.IsWellFormed(connectionId, "sso_") || await store.ConnectionAsync(orgId, connectionId, http.RequestAborted) is not { } connection) return Problems.NoSuch("connection");
        var mappings = await store.RoleMappingsAsync(connectionId, http.RequestAborted);
        return Results.Ok(new { groupsClaim = connection.GroupsClaim, mappings = mappings.Select(m => new { group = m.Key, role = m.Value }) });
    }

    private static async Task<IResult> SetRoleMappings(string orgId, string connectionId, SsoRoleMappingsRequest body, HttpContext http, OrganizationService organizations,
        ApiAccess access, AuditTrail audit, SsoAdministration administration, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "set-role-mappings");
        if (caller is null) return refusal!;
        var mappings = body.Mappings?.Select(m => (m?.Group, m?.Role)).ToList();
        if (SsoRoles.Validate(body.GroupsClaim, mappings) is { } reason)
        {
            await RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "invalid-role-mappings");
            return Problems.Invalid("mappings", reason);
        }

        if (!Ids.IsWellFormed(connectionId, "sso_") || !await administration.SetRoleMappingsAsync(orgId, caller.UserId, connectionId, body.GroupsClaim ?? SsoConnection.DefaultGroupsClaim,
                mappings!.Select(m => (m.Group!, m.Role!)).ToList(), access.Request(http), http.RequestAborted))
        {
            await RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "unknown-connection");
            return Problems.NoSuch("connection");
        }

        return Results.NoContent();
    }

    private static async Task<IResult> DeleteConnection(string orgId, string connectionId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit,
        SsoAdministration administration, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "delete-connection");
        if (caller is null) return refusal!;
        if (!Ids.IsWellFormed(connectionId, "sso_") || !await administration.DeleteConnectionAsync(orgId, caller.UserId, connectionId, access.Request(http), http.RequestAborted))
        {
            await RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "unknown-connection");
            return Problems.NoSuch("connection");
        }

        return Results.NoContent();
    }

    private static async Task<IResult> ListDomains(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit, SsoStore store, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: false, "list-domains");
        if (caller is null) return refusal!;
        return Results.Ok(new { items = (await store.DomainsAsync(orgId, http.RequestAborted)).Select(Response) });
    }

    private static async Task<IResult> ClaimDomain(string orgId, ClaimDomainRequest body, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit,
        SsoAdministration administration, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "claim-domain");
        if (caller is null) return refusal!;
        if (SsoAdministration.NormalizeDomain(body.Domain) is not { } domain) return Problems.Invalid("domain", "This is not a domain name (for example example.com).");
        if (!Ids.IsWellFormed(body.ConnectionId, "sso_"))
        {
            await RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "unknown-connection");
            return Problems.NoSuch("connection");
        }

        var (outcome, claimed) = await administration.ClaimDomainAsync(orgId, caller.UserId, domain, body.ConnectionId, access.Request(http), http.RequestAborted);
        return await DomainAnswerAsync(outcome, http, access, audit, clock, caller.UserId, orgId,
            () => Results.Created($"/v1/organizations/{orgId}/sso/domains/{domain}", Response(claimed!)));
    }

    private static async Task<IResult> VerifyDomain(string orgId, string domain, HttpContext http, OrganizationService organizations, ApiAccess access, AuditTrail audit,
        SsoAdministration administration, SsoStore store, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "verify-domain");
        if (caller is null) return refusal!;
        if (SsoAdministration.NormalizeDomain(domain) is not { } normalized) return Problems.NoSuch("domain");
        var outcome = await administration.VerifyDomainAsync(orgId, caller.UserId, normalized, access.Request(http), http.RequestAborted);
        return await DomainAnswerAsync(outcome, http, access, audit, clock, caller.UserId, orgId,
            async () => Results.Ok(Response((await store.DomainAsync(orgId, normalized, http.RequestAborted))!)));
    }

    private static async Task<IResult> DomainSettings(string orgId, string domain, DomainSettingsRequest body, HttpContext http, OrganizationService organizations, ApiAccess access,
        AuditTrail audit, SsoAdministration administration, TimeProvider clock)
    {
        var (caller, refusal) = await AuthorizeAsync(orgId, http, organizations, access, audit, clock, ownerOnly: true, "change-domain");
        if (caller is null) return refusal!;
        if (SsoAdministration.NormalizeDomain(domain) is not { } normalized) return Problems.NoSuch("domain");
        var outcome = await administration.SetSsoOnlyAsync(orgId, caller.UserId, normalized, body.SsoOnly, access.Request(http), http.RequestAborted);
        return await DomainAnswerAsync(outcome, http, access, audit, clock, caller.UserId, orgId, () => Results.NoContent());
    }

    private static Task<IResult> DomainAnswerAsync(SsoOutcome outcome, HttpContext http, ApiAccess access, AuditTrail audit, TimeProvider clock, string actor, string orgId, Func<IResult> done) =>
        DomainAnswerAsync(outcome, http, access, audit, clock, actor, orgId, () => Task.FromResult(done()));

    private static async Task<IResult> DomainAnswerAsync(SsoOutcome outcome, HttpContext http, ApiAccess access, AuditTrail audit, TimeProvider clock, string actor, string orgId,
        Func<Task<IResult>> done)
    {
        switch (outcome)
        {
            case SsoOutcome.Done:
                return await done();
            case SsoOutcome.DomainTaken:
                await RefuseAsync(http, access, audit, clock, actor, orgId, "domain-verified-by-another-organization");
                return Results.Problem(statusCode: 409, type: DomainTaken, title: "Domain already verified",
                    detail: "Another organization has verified this domain. Contact support if it is yours.");
            case SsoOutcome.NotVerified:
                await RefuseAsync(http, access, audit, clock, actor, orgId, "domain-not-verified");
                return Results.Problem(statusCode: 409, type: DomainNotVerified, title: "Domain not verified",
                    detail: $"The TXT record {SsoAdministration.TxtPrefix}<domain> does not hold this domain's verification value yet (DNS changes can take a while).");
            default:
                await RefuseAsync(http, access, audit, clock, actor, orgId, "unknown-connection-or-domain");
                return Problems.NoSuch("connection or domain of this organization");
        }
    }

    private static SsoConnectionResponse Response(SsoConnection c, string issuer) =>
        new(c.Id, c.Name, c.Issuer, c.ClientId, c.Scopes, c.DefaultRole, RedirectUri(issuer), c.CreatedAt, c.Protocol);

    private static SsoDomainResponse Response(SsoDomain d) =>
        new(d.Domain, d.ConnectionId, d.VerifiedAt is not null, d.SsoOnly, SsoAdministration.TxtPrefix + d.Domain, d.VerificationToken);

    /// <summary>Members see nothing unless Owner or Admin; changes need an Owner with a recent second factor.</summary>
    internal static async Task<(Caller? Caller, IResult? Refusal)> AuthorizeAsync(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access,
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
            await RefuseAsync(http, access, audit, clock, caller.UserId, orgId, "not-owner", operation);
            return (null, Problems.Forbid(ownerOnly ? "Only an Owner can configure single sign-on." : "Only Owners and Admins can see single sign-on settings."));
        }

        if (ownerOnly && access.RequireStepUp(http, caller) is { } stepUp) return (null, stepUp);
        // SPEC RET-CLOSE: connections, domains, mappings and SP certificates are read-only while the organization closes.
        if (await http.RequestServices.GetRequiredService<Closure.ClosingOrganizations>().RefusalAsync(http, orgId, caller.UserId, access.Request(http)) is { } closing)
        {
            return (null, closing);
        }

        return (caller, null);
    }

    internal static Task RefuseAsync(HttpContext http, ApiAccess access, AuditTrail audit, TimeProvider clock, string actor, string orgId, string reason, string? operation = null)
    {
        var details = new Dictionary<string, string> { ["reason"] = reason };
        if (operation is not null) details["operation"] = operation;
        return audit.RecordAsync(access.Request(http).Audit(clock.GetUtcNow(), actor, AuditActions.SsoRefused, "failure", http.Request.Path, Ids.IsWellFormed(orgId, "org_") ? orgId : null, details),
            http.RequestAborted);
    }
}
