using System.Text;
using Platform.SecurityConsole.Api;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>
/// Your own security (every member): how you signed in, two-step verification, password, sessions. Identity offers
/// these only on its own pages (same address, the gateway), not as APIs a client may call with a token: the page says
/// what there is and links there, and says what identity has not built (a session list, signing out elsewhere).
/// </summary>
internal static class SecurityPage
{
    public static void MapSecurityPage(this RouteGroupBuilder org) => org.MapGet("/security", Show);

    private static async Task<IResult> Show(string org, HttpContext http, PlatformApi api)
    {
        var (user, instead) = await Guard.ForAsync(http, org);
        if (user is null) return instead!;
        var members = await api.GetAsync(user, $"v1/organizations/{U(org)}/members", http.RequestAborted);
        var me = OverviewPage.Items(members.Body).FirstOrDefault(m => OverviewPage.Text(m, "userId") == user.UserId);
        bool? enrolled = me.ValueKind == System.Text.Json.JsonValueKind.Object && me.TryGetProperty("mfaEnrolled", out var e) ? e.GetBoolean() : null;
        var returnHere = U($"/console/o/{org}/security");

        var body = new StringBuilder();
        body.Append("<p class=\"hint\" id=\"identity-pages-note\">These settings live on your Platform account's own pages, at the same address: the links below open them. Identity has no API for them that the console could call for you.</p>");
        body.Append("<h2>This sign-in</h2><dl class=\"facts\">");
        body.Append($"<dt>Email</dt><dd id=\"my-email\">{E(user.Email)}</dd>");
        body.Append($"<dt>Signed in</dt><dd id=\"my-sign-in\">{(user.Amr.Contains("mfa") ? "with a second factor" : "with a password only")}, {Time(user.AuthTime)}</dd></dl>");

        body.Append("<h2>Two-step verification and recovery codes</h2>");
        body.Append(enrolled switch
        {
            true => $"""<p id="mfa-status">On: an authenticator app is enrolled. Its ten recovery codes were shown once at enrolment; each works once in place of a code.</p><p><a id="confirm-mfa" href="{E(Guard.StepUpUrl($"/console/o/{org}/security"))}">Confirm your second factor now</a> (some pages ask for one within the last 15 minutes).</p>""",
            false => $"""<p id="mfa-status">Off.</p><p><a id="enrol-mfa" href="/mfa/enrol?returnUrl={E(returnHere)}">Set up two-step verification</a>: scan a QR code with an authenticator app, confirm a code, and keep the ten recovery codes it shows you once.</p>""",
            null => Problem(members.Problem),
        });

        body.Append("<h2>Password</h2>");
        body.Append("""<p id="password-help">Identity changes a password through a code sent to your address: <a id="change-password" href="/password/forgot">change your password</a>. A new password signs out every other session of your account and ends the console sessions that depend on them.</p>""");

        body.Append("<h2>Sessions</h2>");
        body.Append("""<p id="sessions-help">Identity cannot list your sessions or sign out other devices from here yet. Signing out (the button at the top) ends this console session on the server and your Platform account's session in this browser; changing your password ends the others.</p>""");
        return Page(http, user, "Your security", body.ToString());
    }
}
