using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
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

    private static async Task<IResult> ConsentPage(HttpContext http, IAntiforgery af, string? returnUrl, IOpenIddictApplicationManager applications,
        ClientOwners owners, OrganizationService organizations)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        var request = await ConsentRequestAsync(returnUrl, caller, applications, owners, organizations, http.RequestAborted);
        if (request is null) return Page(http, "Consent", Error("This consent request is not valid."), 400);
        var list = string.Concat(request.Scopes.Select(s => $"<li>{E(s)}</li>"));
        var actsIn = request.ActsIn is { } org ? $"""<p>It will act in <strong id="acts-in">{E(org.Name)}</strong> (<code>{E(org.Id)}</code>) with your role {E(org.Role)}.</p>""" : "";
        var confirm = request.CrossOrganization
            ? $"""<p class="error" id="cross-organization">This application belongs to another organization than the one it will act in.</p><p><input type="checkbox" id="act-in" name="actIn" value="{E(request.ActsIn!.Id)}" required> <label for="act-in" style="display:inline">Allow {E(request.ClientName)} of {E(request.Owner.Name)} to act in {E(request.ActsIn.Name)}</label></p>"""
            : "";
        return Page(http, "Allow access?", $"""<p><strong id="client">{E(request.ClientName)}</strong> (<code>{E(request.ClientId)}</code>) of the organization <strong id="owner">{E(request.Owner.Name)}</strong> (<code id="owner-id">{E(request.Owner.Id)}</code>) asks to:</p><ul id="scopes">{list}</ul>{actsIn}"""
            + Form(http, af, "/consent", confirm + """<button type="submit" name="decision" value="deny" formnovalidate>Deny</button>""", "Allow", returnUrl).Replace(
                """<button type="submit" name="action" value="submit">Allow</button>""", """<button type="submit" name="decision" value="allow" id="allow">Allow</button>""", StringComparison.Ordinal));
    }

    private static async Task<IResult> Consent(HttpContext http, [FromForm] string? decision, [FromForm] string? returnUrl, [FromForm] string? actIn,
        IOpenIddictApplicationManager applications, ClientOwners owners, OrganizationService organizations, Consents consents, AuditTrail audit, TimeProvider clock, IOptions<IdentityOptions> options)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        var request = await ConsentRequestAsync(returnUrl, caller, applications, owners, organizations, http.RequestAborted);
        if (request is null) return Results.BadRequest();
        var denied = returnUrl + "&platform_consent=denied";
        if (decision != "allow") return Results.Redirect(denied);
        var info = RequestInfo.From(http, options.Value.TrustedProxies);
        var details = new Dictionary<string, string> { ["client_id"] = request.ClientId, ["client_organization"] = request.Owner.Id, ["scopes"] = string.Join(' ', request.Scopes) };
        if (request.CrossOrganization && actIn != request.ActsIn!.Id)
        {
            // Allow without the explicit choice of the other organization is no grant (ID-OIDC).
            details["reason"] = "cross-organization-not-confirmed";
            await audit.RecordAsync(info.Audit(clock.GetUtcNow(), caller.UserId, AuditActions.AuthorizationRefused, "failure", request.ClientId, request.ActsIn.Id, details), http.RequestAborted);
            return Results.Redirect(denied);
        }

        await consents.GrantAsync(caller.UserId, request.ApplicationId, request.ActsIn?.Id ?? "", request.Scopes, http.RequestAborted);
        details["cross_organization"] = request.CrossOrganization ? "true" : "false";
        await audit.RecordAsync(info.Audit(clock.GetUtcNow(), caller.UserId, AuditActions.ConsentGranted, "success", request.ClientId, request.ActsIn?.Id, details), http.RequestAborted);
        return Results.Redirect(returnUrl!);
    }

    private sealed record ConsentRequest(string ClientId, string ApplicationId, string ClientName, IReadOnlyList<string> Scopes, (string Id, string Name) Owner, Organization? ActsIn)
    {
        public bool CrossOrganization => ActsIn is not null && ActsIn.Id != Owner.Id;
    }

    /// <summary>What the return URL asks for: the client, its owner, the scopes and the organization (one of the caller's) it will act in.</summary>
    private static async Task<ConsentRequest?> ConsentRequestAsync(string? returnUrl, Caller caller, IOpenIddictApplicationManager applications,
        ClientOwners owners, OrganizationService organizations, CancellationToken cancellationToken)
    {
        if (!TryParseAuthorize(returnUrl, out var clientId, out var scopes)) return null;
        var application = await applications.FindByClientIdAsync(clientId, cancellationToken);
        if (application is null || await owners.DescribeAsync(clientId, cancellationToken) is not { } owner) return null;
        Organization? actsIn = null;
        var orgId = QueryHelpers.ParseQuery(returnUrl![OidcSetup.AuthorizePath.Length..]).TryGetValue(OidcEndpoints.OrganizationParameter, out var value) ? value.ToString() : null;
        if (orgId is not null)
        {
            actsIn = (await organizations.ListForUserAsync(caller.UserId, cancellationToken)).FirstOrDefault(o => o.Id == orgId);
            if (actsIn is null) return null;
        }

        var name = await applications.GetDisplayNameAsync(application, cancellationToken) ?? clientId;
        return new ConsentRequest(clientId, (await applications.GetIdAsync(application, cancellationToken))!, name, scopes, owner, actsIn);
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
            + Input("scopes", "Scopes (space-separated)", value: "platform.keys"),
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
