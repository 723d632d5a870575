using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Platform.Identity.Model;
using Platform.Identity.Oidc;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;
using static Platform.Identity.Pages.Html;

namespace Platform.Identity.Pages;

/// <summary>
/// A user in several organizations picks the one an authorization request's tokens are for; the choice goes back to
/// the authorization endpoint as its <c>organization</c> parameter. A plain form: works without JavaScript.
/// </summary>
internal static class OrganizationChoicePages
{
    public const string Path = "/authorize/organization";

    public static IEndpointRouteBuilder MapOrganizationChoicePages(this IEndpointRouteBuilder app)
    {
        app.MapGet(Path, ChoicePage);
        app.MapPost(Path, Choose);
        return app;
    }

    private static async Task<IResult> ChoicePage(HttpContext http, IAntiforgery af, string? returnUrl, OrganizationService organizations)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        if (!OidcPages.TryParseAuthorize(returnUrl, out _, out _)) return Page(http, "Choose an organization", Error("This authorization request is not valid."), 400);
        var memberships = await organizations.ListForUserAsync(caller.UserId, http.RequestAborted);
        if (memberships.Count == 0) return Results.Redirect(returnUrl!);
        var options = string.Concat(memberships.Select((o, index) =>
            $"""<p><input type="radio" id="org-{index}" name="organization" value="{E(o.Id)}"{(index == 0 ? " checked" : "")}> <label for="org-{index}" style="display:inline">{E(o.Name)} ({E(o.Role)})</label></p>"""));
        return Page(http, "Choose an organization", "<p>Which organization should this application act for?</p>"
            + Form(http, af, Path, $"""<div id="organizations">{options}</div>""", "Continue", returnUrl));
    }

    private static async Task<IResult> Choose(HttpContext http, [FromForm] string? organization, [FromForm] string? returnUrl, OrganizationService organizations)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        if (!OidcPages.TryParseAuthorize(returnUrl, out _, out _)) return Page(http, "Choose an organization", Error("This authorization request is not valid."), 400);
        var role = Ids.IsWellFormed(organization, "org_") ? await organizations.RoleOfAsync(organization!, caller.UserId, http.RequestAborted) : null;
        if (role is null) return Page(http, "Choose an organization", Error("You are not a member of that organization.") + $"""<p><a href="{E(PageLinks.WithReturn(Path, returnUrl))}">Back</a></p>""", 400);

        // The same authorization request, with the choice as its organization parameter (replacing any earlier one).
        return Results.Redirect(OidcEndpoints.WithOrganization(returnUrl!, organization!));
    }
}
