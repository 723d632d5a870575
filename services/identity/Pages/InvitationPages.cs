using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Model;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;
using static Platform.Identity.Pages.Html;

namespace Platform.Identity.Pages;

/// <summary>
/// Accepting an invitation (ID-ORG, ID-UI): signed in as the invited address, the user types the code from the mail
/// into a form (never in a URL); the same logic as <c>POST /v1/invitations/accept</c>.
/// </summary>
internal static class InvitationPages
{
    public const string Path = "/invitations/accept";

    public static IEndpointRouteBuilder MapInvitationPages(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, AcceptPage);
        app.MapPost(Path, Accept);
        return app;
    }

    private static async Task<IResult> AcceptPage(HttpContext http, IAntiforgery af)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", Path));
        if (caller.MfaEnrolmentRequired) return Results.Redirect(PageLinks.WithReturn("/mfa/enrol", Path));
        return AcceptForm(http, af, null);
    }

    private static IResult AcceptForm(HttpContext http, IAntiforgery af, string? error, int status = 200) => Page(http, "Accept an invitation",
        Error(error) + "<p>Enter the code from the invitation mail. It works for the address it was sent to: sign in with that address.</p>"
        + Form(http, af, Path, Input("code", "Invitation code"), "Accept invitation"), status);

    private static async Task<IResult> Accept(HttpContext http, IAntiforgery af, [FromForm] string? code, UserStore users, OrganizationService organizations, IOptions<IdentityOptions> options)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", Path));
        if (caller.MfaEnrolmentRequired) return Results.Redirect(PageLinks.WithReturn("/mfa/enrol", Path));
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null || !EmailAddress.TryNormalize(user.Email, out var email)) return Results.Redirect(PageLinks.WithReturn("/signin", Path));

        var (outcome, orgId) = await organizations.AcceptAsync(user.Id, email, code?.Trim(), RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        return outcome switch
        {
            OrgOutcome.Done => Page(http, "Invitation accepted",
                $"""<p>You joined the organization <code id="joined" data-id="{E(orgId)}">{E(orgId)}</code>.</p><p><a href="/account">Your account</a></p>"""),
            OrgOutcome.Conflict => AcceptForm(http, af, "You are already a member of this organization.", 409),
            _ => AcceptForm(http, af, "The code is invalid, expired or already used, or the invitation is for another address.", 400),
        };
    }
}
