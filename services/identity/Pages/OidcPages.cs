using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Platform.Identity.Accounts;
using Platform.Identity.Model;
using Platform.Identity.Oidc;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;
using static OpenIddict.Abstractions.OpenIddictConstants;
using static Platform.Identity.Pages.Html;

namespace Platform.Identity.Pages;

/// <summary>The consent page of the authorization endpoint and the OAuth client page (an administrative action: step-up).</summary>
internal static class OidcPages
{
    public static IEndpointRouteBuilder MapOidcPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/consent", ConsentPage);
        app.MapPost("/consent", Consent);
        app.MapGet("/admin/clients/new", NewClientPage);
        app.MapPost("/admin/clients/new", NewClient);
        return app;
    }

    private static async Task<IResult> ConsentPage(HttpContext http, IAntiforgery af, string? returnUrl, IOpenIddictApplicationManager applications)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        if (!TryParseAuthorize(returnUrl, out var clientId, out var scopes)) return Page(http, "Consent", Error("This consent request is not valid."), 400);
        var application = await applications.FindByClientIdAsync(clientId, http.RequestAborted);
        if (application is null) return Page(http, "Consent", Error("Unknown application."), 400);
        var name = await applications.GetDisplayNameAsync(application, http.RequestAborted) ?? clientId;
        var list = string.Concat(scopes.Select(s => $"<li>{E(s)}</li>"));
        return Page(http, "Allow access?", $"""<p><strong id="client">{E(name)}</strong> asks to:</p><ul id="scopes">{list}</ul>"""
            + Form(http, af, "/consent", """<button type="submit" name="decision" value="deny">Deny</button>""", "Allow", returnUrl).Replace(
                """<button type="submit" name="action" value="submit">Allow</button>""", """<button type="submit" name="decision" value="allow" id="allow">Allow</button>""", StringComparison.Ordinal));
    }

    private static async Task<IResult> Consent(HttpContext http, [FromForm] string? decision, [FromForm] string? returnUrl,
        IOpenIddictApplicationManager applications, IOpenIddictAuthorizationManager authorizations)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        if (!TryParseAuthorize(returnUrl, out var clientId, out var scopes)) return Results.BadRequest();
        if (decision != "allow") return Results.Redirect(returnUrl + "&platform_consent=denied");
        var application = await applications.FindByClientIdAsync(clientId, http.RequestAborted);
        if (application is null) return Results.BadRequest();
        var identity = TokenClaims.NewIdentity();
        identity.SetClaim(Claims.Subject, caller.UserId);
        identity.SetScopes(scopes);
        await authorizations.CreateAsync(identity, caller.UserId, (await applications.GetIdAsync(application, http.RequestAborted))!, AuthorizationTypes.Permanent, [.. scopes], http.RequestAborted);
        return Results.Redirect(returnUrl!);
    }

    /// <summary>Only return URLs that are our own authorization endpoint, with a client and scopes.</summary>
    internal static bool TryParseAuthorize(string? returnUrl, out string clientId, out IReadOnlyList<string> scopes)
    {
        clientId = "";
        scopes = [];
        if (!PageLinks.IsLocal(returnUrl) || !returnUrl!.StartsWith(OidcSetup.AuthorizePath + "?", StringComparison.Ordinal)) return false;
        var query = QueryHelpers.ParseQuery(returnUrl[OidcSetup.AuthorizePath.Length..]);
        clientId = query.TryGetValue("client_id", out var id) ? id.ToString() : "";
        scopes = query.TryGetValue("scope", out var scope) ? scope.ToString().Split(' ', StringSplitOptions.RemoveEmptyEntries) : [];
        return clientId.Length is > 0 and <= 100;
    }

    private static async Task<IResult> NewClientPage(HttpContext http, IAntiforgery af, string? org, OrganizationService organizations, TimeProvider clock, IOptions<IdentityOptions> options)
    {
        var self = "/admin/clients/new?org=" + Uri.EscapeDataString(org ?? "");
        var (caller, refusal) = await AdministratorAsync(http, org, organizations, clock, options, self);
        if (caller is null) return refusal!;
        return Page(http, "New OAuth client", Form(http, af, self,
            Input("name", "Name")
            + """<label for="type">Type</label><select id="type" name="type"><option value="machine">machine (client credentials)</option><option value="web">web (code + PKCE, confidential)</option><option value="spa">spa (code + PKCE, public)</option></select>"""
            + Input("redirectUri", "Redirect URI (web and spa)", "text").Replace(" required", "", StringComparison.Ordinal)
            + Input("scopes", "Scopes (space-separated)", value: "platform"),
            "Create client"));
    }

    private static async Task<IResult> NewClient(HttpContext http, IAntiforgery af, string? org, [FromForm] string? name, [FromForm] string? type, [FromForm] string? redirectUri, [FromForm] string? scopes,
        OrganizationService organizations, ClientService clients, TimeProvider clock, IOptions<IdentityOptions> options)
    {
        var self = "/admin/clients/new?org=" + Uri.EscapeDataString(org ?? "");
        var (caller, refusal) = await AdministratorAsync(http, org, organizations, clock, options, self);
        if (caller is null) return refusal!;
        IReadOnlyList<string> redirects = string.IsNullOrWhiteSpace(redirectUri) ? [] : [redirectUri.Trim()];
        var scopeList = (scopes ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (ClientService.Validate(name, type, redirects, scopeList) is { } reason) return Page(http, "New OAuth client", Error(reason) + $"""<p><a href="{E(self)}">Back</a></p>""", 400);
        var client = await clients.CreateAsync(org!, caller.UserId, name!, type!, redirects, scopeList, RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        var secret = client.ClientSecret is null ? "<p>Public client: no secret.</p>" : $"""<p>Client secret (shown once): <code id="client-secret">{E(client.ClientSecret)}</code></p>""";
        return Page(http, "Client created", $"""<p>Client id: <code id="client-id">{E(client.ClientId)}</code></p>{secret}<p><a href="/account">Back</a></p>""");
    }

    private static async Task<(Caller? Caller, IResult? Refusal)> AdministratorAsync(HttpContext http, string? org, OrganizationService organizations, TimeProvider clock, IOptions<IdentityOptions> options, string self)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return (null, Results.Redirect(PageLinks.WithReturn("/signin", self)));
        var role = Ids.IsWellFormed(org, "org_") ? await organizations.RoleOfAsync(org!, caller.UserId, http.RequestAborted) : null;
        if (!OrgRoles.Administers(role)) return (null, Page(http, "Not allowed", Error("Only Owners and Admins of the organization can create clients."), 403));
        // Step-up (ID-MFA): a second factor within the window, else through the MFA page and back.
        if (!caller.HasRecentMfa(clock.GetUtcNow(), options.Value.Tokens.StepUpWindow)) return (null, Results.Redirect(PageLinks.WithReturn("/mfa", self)));
        return (caller, null);
    }
}
