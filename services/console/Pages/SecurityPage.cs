using System.Text;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// Your own security (every member): how you signed in, two-step verification, password, and your sessions (identity's
/// <c>/v1/me/sessions</c>, which answers the console's token for its own user: list, end one, sign out elsewhere).
/// Two-step verification and the password live on identity's own pages (same address, the gateway): linked from here.
/// </summary>
internal static class SecurityPage
{
    public static void MapSecurityPage(this RouteGroupBuilder org)
    {
        org.MapGet("/security", Show);
        org.MapPost("/security/sessions/{sessionId}/end", End);
        org.MapPost("/security/sessions/sign-out-others", EndOthers);
        org.MapPost("/security/password", ChangePassword);
        org.MapPost("/security/recovery-codes", NewRecoveryCodes);
    }

    private static async Task<IResult> Show(string org, string? done, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var notice = done switch
        {
            "ended" => "That session is signed out: its browser must sign in again.",
            "others" => "Every other session is signed out.",
            "password" => "Your password is changed. Every other session of your account is signed out.",
            _ => null,
        };
        return await RenderAsync(http, user, api, notice, null);
    }

    private static async Task<IResult> End(string org, string sessionId, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        if (sessionId.Length != 32 || !sessionId.All(char.IsAsciiHexDigitLower)) return Standalone(http, "No such session", "<p id=\"refusal\">That is not a session id.</p>", 404);
        var ended = await api.SendAsync(user, HttpMethod.Delete, $"v1/me/sessions/{U(sessionId)}", null, http.RequestAborted);
        if (!ended.Ok) return await RenderAsync(http, user, api, null, ended.Problem, ended.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/security?done=ended");
    }

    private static async Task<IResult> EndOthers(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var ended = await api.SendAsync(user, HttpMethod.Post, "v1/me/sessions/sign-out-others", null, http.RequestAborted);
        if (!ended.Ok) return await RenderAsync(http, user, api, null, ended.Problem, ended.Problem!.Status);
        return Results.Redirect($"/console/o/{U(org)}/security?done=others");
    }

    /// <summary>The current password and a new one (both secret: never shown again, not even after a refusal).</summary>
    private static async Task<IResult> ChangePassword(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var current = http.Request.Form["currentPassword"].ToString();
        var next = http.Request.Form["newPassword"].ToString();
        var errors = new Dictionary<string, string>();
        if (current.Length == 0) errors["currentPassword"] = "Type your current password.";
        if (next.Length == 0) errors["newPassword"] = "Type a new password.";
        else if (next != http.Request.Form["confirmPassword"].ToString()) errors["confirmPassword"] = "The two new passwords differ.";
        if (errors.Count > 0) return await RenderAsync(http, user, api, null, null, 400, FormState.Of(http, PasswordForm, [], errors));

        var changed = await api.SendAsync(user, HttpMethod.Post, "v1/me/password", new { currentPassword = current, newPassword = next }, http.RequestAborted);
        if (!changed.Ok)
        {
            var problem = changed.Problem!;
            foreach (var field in new[] { "currentPassword", "newPassword" })
            {
                if (problem.ErrorFor(field) is { } message) errors[field] = message;
            }

            return await RenderAsync(http, user, api, null, null, problem.Status, FormState.Of(http, PasswordForm, [], errors, problem));
        }

        return Results.Redirect($"/console/o/{U(org)}/security?done=password");
    }

    /// <summary>A new set of recovery codes: shown once, in this answer (never a redirect target), the old ones void.</summary>
    private static async Task<IResult> NewRecoveryCodes(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var made = await api.SendAsync(user, HttpMethod.Post, "v1/me/mfa/recovery-codes", null, http.RequestAborted);
        if (!made.Ok) return await RenderAsync(http, user, api, null, null, made.Problem!.Status, new FormState(CodesForm, new Dictionary<string, string>(), new Dictionary<string, string>(), made.Problem));
        var codes = made.Body.GetProperty("recoveryCodes").EnumerateArray().Select(c => c.GetString() ?? "").ToList();
        return await RenderAsync(http, user, api, null, null, newCodes: codes);
    }

    private const string PasswordForm = "password";
    private const string CodesForm = "recovery-codes";

    private static async Task<IResult> RenderAsync(HttpContext http, UserContext user, PlatformApi api, string? notice, ApiProblem? problem, int status = 200,
        FormState? form = null, IReadOnlyList<string>? newCodes = null)
    {
        var org = user.OrganizationId!;
        var sessionsTask = api.GetAsync(user, "v1/me/sessions", http.RequestAborted);
        var codesTask = api.GetAsync(user, "v1/me/mfa/recovery-codes", http.RequestAborted);
        var members = await api.GetAsync(user, $"v1/organizations/{U(org)}/members", http.RequestAborted);
        var me = OverviewPage.Items(members.Body).FirstOrDefault(m => OverviewPage.Text(m, "userId") == user.UserId);
        bool? enrolled = me.ValueKind == System.Text.Json.JsonValueKind.Object && me.TryGetProperty("mfaEnrolled", out var e) ? e.GetBoolean() : null;
        var returnHere = U($"/console/o/{org}/security");

        var body = new StringBuilder(Notice(notice));
        body.Append(Problem(problem));
        body.Append("<h2>This sign-in</h2><dl class=\"facts\">");
        body.Append($"<dt>Email</dt><dd id=\"my-email\">{E(user.Email)}</dd>");
        body.Append($"<dt>Signed in</dt><dd id=\"my-sign-in\">{(user.Amr.Contains("mfa") ? "with a second factor" : "with a password only")}, {Time(user.AuthTime)}</dd></dl>");

        body.Append("<h2>Two-step verification and recovery codes</h2>");
        body.Append(enrolled switch
        {
            true => $"""<p id="mfa-status">On: an authenticator app is enrolled. Each recovery code works once in place of a code from the app.</p><p><a id="confirm-mfa" href="{E(Guard.StepUpUrl($"/console/o/{org}/security"))}">Confirm your second factor now</a> (some pages ask for one within the last 15 minutes).</p>""",
            false => $"""<p id="mfa-status">Off.</p><p><a id="enrol-mfa" href="/mfa/enrol?returnUrl={E(returnHere)}">Set up two-step verification</a> on your Platform account's page: scan a QR code with an authenticator app, confirm a code, and keep the ten recovery codes it shows you once.</p>""",
            null => Problem(members.Problem),
        });
        if (enrolled == true) body.Append(RecoveryCodes(http, org, await codesTask, form, newCodes));

        body.Append("<h2>Password</h2>");
        body.Append(PasswordChange(http, org, form));
        body.Append(Sessions(http, org, await sessionsTask));
        return Page(http, user, "Your security", body.ToString(), status);
    }

    private static string RecoveryCodes(HttpContext http, string org, ApiResult left, FormState? form, IReadOnlyList<string>? newCodes)
    {
        var html = new StringBuilder();
        if (newCodes is not null)
        {
            html.Append("""<div id="new-recovery-codes"><p class="warning" role="alert"><strong>Your new recovery codes, shown this once.</strong> Keep them somewhere safe, away from your phone: each one works once. Every earlier code no longer works.</p><ul class="codes">""");
            foreach (var code in newCodes) html.Append($"<li><code>{E(code)}</code></li>");
            html.Append("</ul></div>");
        }

        if (left.Ok)
        {
            html.Append($"""<p id="recovery-codes-left" data-left="{E(Tables.Raw(left.Body, "left"))}">{E(Tables.Raw(left.Body, "left"))} of {E(Tables.Raw(left.Body, "of"))} recovery codes are unused.</p>""");
        }
        else
        {
            html.Append(Problem(left.Problem));
        }

        if (form?.ProblemOf(CodesForm) is { } problem)
        {
            html.Append(Problem(problem));
            if (problem.StepUpRequired) html.Append(Guard.StepUpLink($"/console/o/{org}/security"));
        }

        html.Append(Form(http, $"/console/o/{U(org)}/security/recovery-codes", "<p class=\"hint\">Needs a second factor within the last 15 minutes. The new codes replace every earlier one.</p>", "Make new recovery codes", "new-recovery-codes-form"));
        return html.ToString();
    }

    private static string PasswordChange(HttpContext http, string org, FormState? form)
    {
        var html = new StringBuilder();
        if (form?.ProblemOf(PasswordForm) is { } problem)
        {
            html.Append(Problem(problem));
            if (problem.StepUpRequired) html.Append(Guard.StepUpLink($"/console/o/{org}/security"));
        }

        html.Append(Form(http, $"/console/o/{U(org)}/security/password",
            Field("currentPassword", "Current password", "", form?.Error(PasswordForm, "currentPassword"), "password", "autocomplete=\"current-password\"")
            + Field("newPassword", "New password", "", form?.Error(PasswordForm, "newPassword"), "password", "autocomplete=\"new-password\"", hint: "At least 12 characters, not a common password. Passwords are never shown again, so type them again after a refused form.")
            + Field("confirmPassword", "New password again", "", form?.Error(PasswordForm, "confirmPassword"), "password", "autocomplete=\"new-password\""),
            "Change password", "change-password-form"));
        html.Append("""<p class="hint" id="password-help">Changing your password signs out every other session of your account. Forgot it? <a id="forgot-password" href="/password/forgot">Reset it with a code sent to your address</a>.</p>""");
        return html.ToString();
    }

    /// <summary>Where the account is signed in: each session's browser, address, start and last use; this one marked.</summary>
    private static string Sessions(HttpContext http, string org, ApiResult sessions)
    {
        var html = new StringBuilder("<h2 id=\"sessions\">Where you are signed in</h2>");
        if (!sessions.Ok) return html.Append(Problem(sessions.Problem)).ToString();
        var items = OverviewPage.Items(sessions.Body).ToList();
        html.Append("""<div class="table"><table id="session-list"><caption>Your Platform account's sessions</caption><thead><tr><th scope="col">Browser or device</th><th scope="col">Address</th><th scope="col">Signed in</th><th scope="col">Last seen</th><th scope="col">Actions</th></tr></thead><tbody>""");
        foreach (var session in items)
        {
            var id = OverviewPage.Text(session, "id")!;
            var current = session.TryGetProperty("current", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.True;
            html.Append($"""<tr data-session="{E(id)}"{(current ? " data-current=\"true\"" : "")}><td>{E(OverviewPage.Text(session, "userAgent") ?? "unknown")}{(current ? " <strong class=\"current\">(this session)</strong>" : "")}</td><td>{E(OverviewPage.Text(session, "ip") ?? "unknown")}</td><td>{Tables.At("createdAt")(session)}</td><td>{Tables.At("lastSeenAt")(session)}</td><td>""");
            // This session ends with the Sign out button at the top (which also ends the console's session).
            html.Append(current ? "use Sign out above" : Form(http, $"/console/o/{U(org)}/security/sessions/{U(id)}/end", "", "Sign out", "end-" + id, buttonClass: "danger"));
            html.Append("</td></tr>");
        }

        html.Append("</tbody></table></div>");
        if (items.Count(s => !(s.TryGetProperty("current", out var c) && c.ValueKind == System.Text.Json.JsonValueKind.True)) > 0)
        {
            html.Append(Form(http, $"/console/o/{U(org)}/security/sessions/sign-out-others", "", "Sign out everywhere else", "sign-out-others", buttonClass: "danger"));
        }

        html.Append("""<p class="hint" id="sessions-help">Signing a session out refuses its cookie from its next request and revokes the refresh tokens of the applications (this console included) signed in from it. Changing your password signs out every other session too.</p>""");
        return html.ToString();
    }
}
