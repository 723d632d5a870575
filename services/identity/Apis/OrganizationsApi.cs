using Platform.Identity.Accounts;
using Platform.Identity.Model;
using Platform.Identity.Oidc;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;

namespace Platform.Identity.Apis;

/// <summary>Organizations, members, invitations, resource grants and OAuth clients (ID-ORG, ID-OIDC).</summary>
internal static class OrganizationsApi
{
    private const int MaxResourceIdLength = 64;

    public static IEndpointRouteBuilder MapOrganizationsApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/organizations", Create);
        v1.MapGet("/organizations", List);
        v1.MapGet("/organizations/{orgId}/members", Members);
        v1.MapPost("/organizations/{orgId}/invitations", Invite);
        v1.MapGet("/organizations/{orgId}/invitations", Invitations);
        v1.MapDelete("/organizations/{orgId}/invitations/{invitationId}", Withdraw);
        v1.MapPost("/invitations/accept", Accept);
        v1.MapPut("/organizations/{orgId}/members/{userId}/role", ChangeRole);
        v1.MapDelete("/organizations/{orgId}/members/{userId}", Remove);
        v1.MapGet("/organizations/{orgId}/settings", ReadSettings);
        v1.MapPut("/organizations/{orgId}/settings", Settings);
        v1.MapPut("/organizations/{orgId}/resources/{type}/{resourceId}/grants/{userId}", Grant);
        v1.MapDelete("/organizations/{orgId}/resources/{type}/{resourceId}/grants/{userId}", Revoke);
        v1.MapGet("/organizations/{orgId}/resources/{type}/{resourceId}/access", Access);
        v1.MapPost("/organizations/{orgId}/clients", CreateClient);
        return app;
    }

    public static async Task<IResult> Create(CreateOrganizationRequest body, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, refusal) = await access.CallerAsync(http);
        if (caller is null) return refusal!;
        if (body.Name is not { Length: > 0 and <= 100 } || string.IsNullOrWhiteSpace(body.Name) || body.Name.Any(char.IsControl))
        {
            return Problems.Invalid("name", "name must be 1 to 100 characters, without control characters.");
        }

        var organization = await organizations.CreateAsync(caller.UserId, body.Name.Trim(), access.Request(http), http.RequestAborted);
        return Results.Created($"/v1/organizations/{organization.Id}", Response(organization));
    }

    public static async Task<IResult> List(HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, refusal) = await access.CallerAsync(http);
        if (caller is null) return refusal!;
        var list = await organizations.ListForUserAsync(caller.UserId, http.RequestAborted);
        return Results.Ok(new { items = list.Select(Response) });
    }

    public static async Task<IResult> Members(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, _, refusal) = await MemberAsync(orgId, http, organizations, access);
        if (caller is null) return refusal!;
        var members = await organizations.MembersAsync(orgId, http.RequestAborted);
        return Results.Ok(new { items = members.Select(m => new MemberResponse(m.UserId, m.Email, m.Role, m.MfaEnrolled)) });
    }

    public static async Task<IResult> Invite(string orgId, InviteRequest body, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, role, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: false);
        if (caller is null) return refusal!;
        if (!EmailAddress.TryNormalize(body.Email, out var email)) return Problems.Invalid("email", "This is not a valid email address.");
        if (!OrgRoles.IsValid(body.Role)) return Problems.Invalid("role", OrgRoles.Expected);
        var (outcome, id) = await organizations.InviteAsync(orgId, caller.UserId, role!, email, body.Role, access.Request(http), http.RequestAborted);
        return outcome == OrgOutcome.Done
            ? Results.Created($"/v1/organizations/{orgId}/invitations/{id}", new InvitationResponse(id!))
            : Problems.Forbid("Only an Owner can invite an Owner.");
    }

    /// <summary>Pending invitations (Owners and Admins): who was invited, as what, by whom, until when. Never the code.</summary>
    public static async Task<IResult> Invitations(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, _, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: false);
        if (caller is null) return refusal!;
        var pending = await organizations.PendingInvitationsAsync(orgId, http.RequestAborted);
        return Results.Ok(new { items = pending.Select(i => new PendingInvitationResponse(i.Id, i.Email, i.Role, i.InvitedBy, i.InvitedByEmail, i.CreatedAt, i.ExpiresAt)) });
    }

    /// <summary>Withdraws a pending invitation (Owners and Admins, like sending one): its code stops working at once.</summary>
    public static async Task<IResult> Withdraw(string orgId, string invitationId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, role, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: false);
        if (caller is null) return refusal!;
        if (!Ids.IsWellFormed(invitationId, "inv_")) return Problems.NoSuch("invitation");
        return await organizations.WithdrawInvitationAsync(orgId, caller.UserId, role!, invitationId, access.Request(http), http.RequestAborted) switch
        {
            OrgOutcome.Done => Results.NoContent(),
            OrgOutcome.Forbidden => Problems.Forbid("Only an Owner can withdraw an invitation to be Owner."),
            _ => Problems.NoSuch("invitation"),
        };
    }

    public static async Task<IResult> Accept(CodeRequest body, HttpContext http, OrganizationService organizations, UserStore users, ApiAccess access)
    {
        var (caller, refusal) = await access.CallerAsync(http);
        if (caller is null) return refusal!;
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null) return Problems.Unauthenticated();
        EmailAddress.TryNormalize(user.Email, out var email);
        var (outcome, orgId) = await organizations.AcceptAsync(user.Id, email, body.Token, access.Request(http), http.RequestAborted);
        return outcome switch
        {
            OrgOutcome.Done => Results.Ok(new AcceptInvitationResponse(orgId!)),
            OrgOutcome.Conflict => Results.Problem(statusCode: 409, type: Problems.Conflict, title: "Already a member", detail: "You are already a member of this organization."),
            _ => Problems.NoSuch("invitation for your email address (it may have expired or been used)"),
        };
    }

    public static async Task<IResult> ChangeRole(string orgId, string userId, RoleRequest body, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, role, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: true);
        if (caller is null) return refusal!;
        if (!OrgRoles.IsValid(body.Role)) return Problems.Invalid("role", OrgRoles.Expected);
        if (!Ids.IsWellFormed(userId, "usr_")) return Problems.NoSuch("member");
        return Answer(await organizations.ChangeRoleAsync(orgId, caller.UserId, role!, userId, body.Role, access.Request(http), http.RequestAborted));
    }

    public static async Task<IResult> Remove(string orgId, string userId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        // Leaving is one's own business; removing someone else is administration and needs a step-up.
        var leaving = (await SessionIssuer.SessionAsync(http))?.UserId == userId;
        var (caller, role, refusal) = leaving
            ? await MemberAsync(orgId, http, organizations, access)
            : await AdministratorAsync(orgId, http, organizations, access, stepUp: true);
        if (caller is null) return refusal!;
        if (!Ids.IsWellFormed(userId, "usr_")) return Problems.NoSuch("member");
        return Answer(await organizations.RemoveAsync(orgId, caller.UserId, role!, userId, access.Request(http), http.RequestAborted));
    }

    /// <summary>The organization as its member sees it (id, name, MFA enforcement, the caller's role): the console's overview.</summary>
    public static async Task<IResult> ReadSettings(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, _, refusal) = await MemberAsync(orgId, http, organizations, access);
        if (caller is null) return refusal!;
        var organization = (await organizations.ListForUserAsync(caller.UserId, http.RequestAborted)).FirstOrDefault(o => o.Id == orgId);
        return organization is null ? Problems.NoSuch("organization") : Results.Ok(Response(organization));
    }

    public static async Task<IResult> Settings(string orgId, SettingsRequest body, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, _, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: true);
        if (caller is null) return refusal!;
        await organizations.SetRequireMfaAsync(orgId, caller.UserId, body.RequireMfa, access.Request(http), http.RequestAborted);
        return Results.NoContent();
    }

    public static async Task<IResult> Grant(string orgId, string type, string resourceId, string userId, RoleRequest body, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        if (ValidateResource(type, resourceId) is { } invalid) return invalid;
        if (!ResourceRoles.IsValid(body.Role)) return Problems.Invalid("role", "role must be one of: Owner, Editor, Viewer.");
        var (caller, refusal) = await ResourceOwnerAsync(orgId, type, resourceId, http, organizations, access);
        if (caller is null) return refusal!;
        if (!Ids.IsWellFormed(userId, "usr_")) return Problems.NoSuch("member");
        return Answer(await organizations.GrantAsync(orgId, caller.UserId, type, resourceId, userId, body.Role, access.Request(http), http.RequestAborted));
    }

    public static async Task<IResult> Revoke(string orgId, string type, string resourceId, string userId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        if (ValidateResource(type, resourceId) is { } invalid) return invalid;
        var (caller, refusal) = await ResourceOwnerAsync(orgId, type, resourceId, http, organizations, access);
        if (caller is null) return refusal!;
        return Answer(await organizations.RevokeGrantAsync(orgId, caller.UserId, type, resourceId, userId, access.Request(http), http.RequestAborted));
    }

    /// <summary>"Who has access to this resource and through what": one call (ID-ORG).</summary>
    public static async Task<IResult> Access(string orgId, string type, string resourceId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        if (ValidateResource(type, resourceId) is { } invalid) return invalid;
        var (caller, _, refusal) = await MemberAsync(orgId, http, organizations, access);
        if (caller is null) return refusal!;
        var list = await organizations.AccessAsync(orgId, type, resourceId, http.RequestAborted);
        return Results.Ok(new AccessResponse(type, resourceId,
            list.Select(a => new AccessEntry(a.UserId, a.Email, a.EffectiveRole, a.Through.Select(t => new AccessVia(t.Kind, t.Role)).ToList())).ToList()));
    }

    public static async Task<IResult> CreateClient(string orgId, CreateClientRequest body, HttpContext http, OrganizationService organizations, ClientService clients, ApiAccess access)
    {
        var (caller, _, refusal) = await AdministratorAsync(orgId, http, organizations, access, stepUp: true);
        if (caller is null) return refusal!;
        if (ClientService.Validate(body.Name, body.Type, body.RedirectUris, body.Scopes) is { } reason) return Problems.Invalid("client", reason);
        var client = await clients.CreateAsync(orgId, caller.UserId, body.Name, body.Type, body.RedirectUris ?? [], body.Scopes, access.Request(http), http.RequestAborted);
        // The secret is shown exactly once.
        return Results.Created($"/v1/organizations/{orgId}/clients/{client.ClientId}", new ClientResponse(client.ClientId, client.ClientSecret, client.Type));
    }

    private static OrganizationResponse Response(Organization o) => new(o.Id, o.Name, o.RequireMfa, o.Role);

    private static IResult? ValidateResource(string type, string resourceId)
    {
        if (!ResourceRoles.IsValidType(type)) return Problems.Invalid("type", "The resource type must be 'dataset' or 'project'.");
        if (resourceId is not { Length: > 0 and <= MaxResourceIdLength } || !resourceId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
        {
            return Problems.Invalid("resourceId", $"The resource id must be 1 to {MaxResourceIdLength} letters, digits, '_' or '-'.");
        }

        return null;
    }

    private static IResult Answer(OrgOutcome outcome) => outcome switch
    {
        OrgOutcome.Done => Results.NoContent(),
        OrgOutcome.NotFound => Problems.NoSuch("member"),
        OrgOutcome.Forbidden => Problems.Forbid("Only an Owner can change or remove an Owner, or make someone Owner."),
        OrgOutcome.LastOwner => Results.Problem(statusCode: 409, type: Problems.LastOwner, title: "Last Owner",
            detail: "An organization needs at least one Owner: make someone else Owner first."),
        _ => Results.Problem(statusCode: 409, type: Problems.Conflict, title: "Conflict"),
    };

    private static async Task<(Caller? Caller, string? Role, IResult? Refusal)> MemberAsync(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, refusal) = await access.OrganizationCallerAsync(http, orgId);
        if (caller is null) return (null, null, refusal);
        var role = Ids.IsWellFormed(orgId, "org_") ? await organizations.RoleOfAsync(orgId, caller.UserId, http.RequestAborted) : null;
        // Not a member and no such organization look the same.
        if (role is null) return (null, null, Problems.NoSuch("organization"));
        // A member's change to a closing organization is refused (RET-CLOSE); reads go on.
        var closing = await http.RequestServices.GetRequiredService<Closure.ClosingOrganizations>().RefusalAsync(http, orgId, caller.UserId, access.Request(http));
        return closing is null ? (caller, role, null) : (null, null, closing);
    }

    private static async Task<(Caller? Caller, string? Role, IResult? Refusal)> AdministratorAsync(string orgId, HttpContext http, OrganizationService organizations, ApiAccess access, bool stepUp)
    {
        var (caller, role, refusal) = await MemberAsync(orgId, http, organizations, access);
        if (caller is null) return (null, null, refusal);
        if (!OrgRoles.Administers(role)) return (null, null, Problems.Forbid("Only Owners and Admins can do this."));
        if (stepUp && access.RequireStepUp(http, caller) is { } stepUpRefusal) return (null, null, stepUpRefusal);
        return (caller, role, null);
    }

    private static async Task<(Caller? Caller, IResult? Refusal)> ResourceOwnerAsync(string orgId, string type, string resourceId, HttpContext http, OrganizationService organizations, ApiAccess access)
    {
        var (caller, _, refusal) = await MemberAsync(orgId, http, organizations, access);
        if (caller is null) return (null, refusal);
        var entries = await organizations.AccessAsync(orgId, type, resourceId, http.RequestAborted);
        return entries.Any(e => e.UserId == caller.UserId && e.EffectiveRole == ResourceRoles.Owner)
            ? (caller, null)
            : (null, Problems.Forbid("Only an Owner of this resource (or an organization Owner or Admin) can share it."));
    }
}
