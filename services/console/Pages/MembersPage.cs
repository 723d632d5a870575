using System.Text;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;
using static Platform.SecurityConsole.Pages.OverviewPage;

namespace Platform.SecurityConsole.Pages;

/// <summary>Members and invitations (identity's API): every member sees the list; Owners and Admins invite, change roles, remove.</summary>
internal static class MembersPage
{
    private static readonly string[] Roles = ["Owner", "Admin", "Developer", "Viewer", "Auditor"];

    public static void MapMembersPage(this RouteGroupBuilder org)
    {
        org.MapGet("/members", List);
        org.MapPost("/members/invite", Invite);
        org.MapPost("/members/{userId}/role", ChangeRole);
        org.MapPost("/members/{userId}/remove", Remove);
        org.MapPost("/invitations/{invitationId}/withdraw", Withdraw);
    }

    private static async Task<IResult> List(string org, string? done, string? type, string? resource, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var notice = done switch
        {
            "invited" => "The invitation is sent. It is valid for 7 days.",
            "role" => "The role is changed.",
            "removed" => "The member is removed.",
            "withdrawn" => "The invitation is withdrawn: its code no longer works.",
            _ => null,
        };
        return await RenderAsync(http, user, api, notice, null, "", "Developer", null, access: (type, resource));
    }

    private static async Task<IResult> RenderAsync(HttpContext http, UserContext user, PlatformApi api, string? notice, ApiProblem? problem, string email, string role, string? emailError, int status = 200, (string? Type, string? Resource) access = default)
    {
        var org = user.OrganizationId!;
        var membersTask = api.GetAsync(user, $"v1/organizations/{U(org)}/members", http.RequestAborted);
        // Keys per member, when the keys API answers this user (an Owner or Admin with a recent second factor).
        var keysTask = user.IsAdministrator ? api.GetAsync(user, $"v1/organizations/{U(org)}/keys?limit=100", http.RequestAborted) : null;
        var invitationsTask = user.IsAdministrator ? api.GetAsync(user, $"v1/organizations/{U(org)}/invitations", http.RequestAborted) : null;
        var members = await membersTask;
        var keys = keysTask is null ? null : await keysTask;
        var activeKeys = keys is { Ok: true } ? Items(keys.Body).Where(k => Text(k, "status") == "active").Select(k => Text(k, "createdBy") ?? "").ToList() : null;
        var body = new StringBuilder(Notice(notice));
        body.Append(Problem(problem));
        if (problem is { StepUpRequired: true }) body.Append(Guard.StepUpLink($"/console/o/{U(org)}/members"));
        if (!members.Ok)
        {
            body.Append(Problem(members.Problem));
            return Page(http, user, "Members", body.ToString(), members.Problem!.Status is 401 or 403 or 404 ? 403 : 502);
        }

        body.Append("""<div class="table"><table id="members"><caption>Who belongs to the organization</caption><thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Two-step verification</th>""");
        if (activeKeys is not null) body.Append("<th scope=\"col\">Active keys created</th>");
        if (user.IsAdministrator) body.Append("<th scope=\"col\">Actions</th>");
        body.Append("</tr></thead><tbody>");
        foreach (var member in Items(members.Body))
        {
            var id = Text(member, "userId")!;
            var memberRole = Text(member, "role");
            body.Append($"""<tr data-id="{E(id)}" data-email="{E(Text(member, "email"))}"><td>{E(Text(member, "email"))}</td><td class="role">{E(memberRole)}</td><td>{(member.GetProperty("mfaEnrolled").GetBoolean() ? "on" : "off")}</td>""");
            if (activeKeys is not null) body.Append($"<td class=\"keys-count\">{activeKeys.Count(by => by == id || by.EndsWith(":" + id, StringComparison.Ordinal))}</td>");
            if (user.IsAdministrator)
            {
                body.Append("<td>");
                if (id != user.UserId)
                {
                    body.Append(Form(http, $"/console/o/{U(org)}/members/{U(id)}/role", Select("role", "Role", Roles, memberRole, id: "role-" + id), "Change role", "role-form-" + id));
                    body.Append(Form(http, $"/console/o/{U(org)}/members/{U(id)}/remove", "", "Remove", "remove-" + id, buttonClass: "danger"));
                }
                else body.Append("you");
                body.Append("</td>");
            }

            body.Append("</tr>");
        }

        body.Append("</tbody></table></div>");
        if (user.IsAdministrator && activeKeys is null) body.Append("<p class=\"hint\" id=\"keys-count-hidden\">Keys per member show here once you have confirmed your second factor on the API keys page.</p>");
        body.Append(await WhoHasAccessAsync(http, user, api, access.Type, access.Resource));
        if (user.IsAdministrator)
        {
            body.Append("<h2>Invite someone</h2>");
            body.Append(Form(http, $"/console/o/{U(org)}/members/invite",
                Field("email", "Email address", email, emailError, "email", "autocomplete=\"off\" maxlength=\"254\"")
                + Select("role", "Role", Roles, role, id: "invite-role"),
                "Send invitation", "invite"));
            body.Append("<p class=\"hint\">The invitation mail carries a code the person types after signing in with that address. Pending invitations expire after 7 days; withdrawing one stops its code at once.</p>");
            body.Append(PendingInvitations(http, org, await invitationsTask!));
        }

        return Page(http, user, "Members", body.ToString(), status);
    }

    /// <summary>Invitations not yet accepted (Owners and Admins): to whom, as what, by whom, until when, and a Withdraw button.</summary>
    private static string PendingInvitations(HttpContext http, string org, ApiResult invitations)
    {
        var html = new StringBuilder("<h2 id=\"pending-invitations\">Pending invitations</h2>");
        if (!invitations.Ok) return html.Append(Problem(invitations.Problem)).ToString();
        var items = Items(invitations.Body).ToList();
        if (items.Count == 0) return html.Append("<p id=\"no-invitations\">No invitation is waiting to be accepted.</p>").ToString();
        html.Append("""<div class="table"><table id="invitations"><caption>Invitations waiting to be accepted</caption><thead><tr><th scope="col">Email</th><th scope="col">Role</th><th scope="col">Invited by</th><th scope="col">Sent</th><th scope="col">Expires</th><th scope="col">Actions</th></tr></thead><tbody>""");
        foreach (var invitation in items)
        {
            var id = Text(invitation, "id")!;
            html.Append($"""<tr data-invitation="{E(id)}" data-email="{E(Text(invitation, "email"))}"><td>{E(Text(invitation, "email"))}</td><td>{E(Text(invitation, "role"))}</td><td>{E(Text(invitation, "invitedByEmail") ?? Text(invitation, "invitedBy"))}</td><td>{Tables.At("createdAt")(invitation)}</td><td>{Tables.At("expiresAt")(invitation)}</td><td>""");
            html.Append(Form(http, $"/console/o/{U(org)}/invitations/{U(id)}/withdraw", "", "Withdraw", "withdraw-" + id, buttonClass: "danger"));
            html.Append("</td></tr>");
        }

        return html.Append("</tbody></table></div>").ToString();
    }

    private static readonly (string Value, string Label)[] ResourceTypes = [("dataset", "dataset"), ("project", "project")];

    /// <summary>"Who has access" to one dataset or project: identity's access list (organization role and direct grants).</summary>
    private static async Task<string> WhoHasAccessAsync(HttpContext http, UserContext user, PlatformApi api, string? type, string? resource)
    {
        var org = user.OrganizationId!;
        type = type is "project" ? "project" : "dataset";
        var html = new StringBuilder("<h2 id=\"who-has-access\">Who has access</h2>");
        string? error = null;
        ApiResult? answer = null;
        if (resource is not null)
        {
            resource = resource.Trim();
            if (!Guard.IsResourceId(resource)) error = "A dataset or project id is 1 to 100 letters, digits, '_' or '-'.";
            else
            {
                answer = await api.GetAsync(user, $"v1/organizations/{U(org)}/resources/{U(type)}/{U(resource)}/access", http.RequestAborted);
                if (answer.Problem?.ErrorFor("resourceId") is { } reason) error = reason;
            }
        }

        html.Append(Form(http, $"/console/o/{U(org)}/members",
            Select("type", "Kind", ResourceTypes, type, id: "access-type") + Field("resource", "Dataset or project id", resource, error, extra: "maxlength=\"100\" autocomplete=\"off\"", id: "access-resource"),
            "Show who has access", "access-form", method: "get"));
        if (answer is null || error is not null) return html.ToString();
        if (!answer.Ok) return html.Append(Problem(answer.Problem)).ToString();
        html.Append(Tables.Of("access", $"Who can use {type} {resource}", Tables.Array(answer.Body, "access"),
            ("Email", Tables.Value("email")), ("Role", Tables.Value("role")),
            ("Through", e => E(string.Join(", ", Tables.Array(e, "through").Select(t => $"{Tables.Raw(t, "kind")}: {Tables.Raw(t, "role")}"))))));
        return html.ToString();
    }

    private static async Task<IResult> Invite(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var email = http.Request.Form["email"].ToString().Trim();
        var role = http.Request.Form["role"].ToString();
        if (email.Length is 0 or > 254 || !email.Contains('@')) return await RenderAsync(http, user, api, null, null, email, role, "Enter an email address, like name@example.com.", 400);
        var invited = await api.SendAsync(user, HttpMethod.Post, $"v1/organizations/{U(org)}/invitations", new { email, role }, http.RequestAborted);
        if (!invited.Ok) return await RenderAsync(http, user, api, null, invited.Problem, email, role, invited.Problem!.ErrorFor("email"), invited.Problem.Status);
        return Results.Redirect($"/console/o/{U(org)}/members?done=invited");
    }

    private static async Task<IResult> Withdraw(string org, string invitationId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(invitationId)) return Standalone(http, "No such invitation", "<p id=\"refusal\">That is not an invitation id.</p>", 404);
        var withdrawn = await api.SendAsync(user, HttpMethod.Delete, $"v1/organizations/{U(org)}/invitations/{U(invitationId)}", null, http.RequestAborted);
        if (!withdrawn.Ok) return await RenderAsync(http, user, api, null, withdrawn.Problem, "", "Developer", null, withdrawn.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/members?done=withdrawn");
    }

    private static async Task<IResult> ChangeRole(string org, string userId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(userId)) return Standalone(http, "No such member", "<p id=\"refusal\">That is not a user id.</p>", 404);
        var changed = await api.SendAsync(user, HttpMethod.Put, $"v1/organizations/{U(org)}/members/{U(userId)}/role", new { role = http.Request.Form["role"].ToString() }, http.RequestAborted);
        if (!changed.Ok) return await RenderAsync(http, user, api, null, changed.Problem, "", "Developer", null, changed.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/members?done=role");
    }

    private static async Task<IResult> Remove(string org, string userId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (!Guard.IsResourceId(userId)) return Standalone(http, "No such member", "<p id=\"refusal\">That is not a user id.</p>", 404);
        var removed = await api.SendAsync(user, HttpMethod.Delete, $"v1/organizations/{U(org)}/members/{U(userId)}", null, http.RequestAborted);
        if (!removed.Ok) return await RenderAsync(http, user, api, null, removed.Problem, "", "Developer", null, removed.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/members?done=removed");
    }
}
