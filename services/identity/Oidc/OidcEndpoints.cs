using System.Security.Claims;
using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Platform.Identity.Accounts;
using Platform.Identity.Model;
using Platform.Identity.Organizations;
using Platform.Identity.Pages;
using Platform.Identity.Sessions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Oidc;

/// <summary>The authorization and token endpoints (passthrough): who the user is, what they consented to, what goes in the tokens.</summary>
internal static class OidcEndpoints
{
    /// <summary>Authorization request parameter naming the organization (<c>org_…</c>) the tokens are for.</summary>
    public const string OrganizationParameter = "organization";

    public static IEndpointRouteBuilder MapOidc(this IEndpointRouteBuilder app)
    {
        app.MapGet(OidcSetup.AuthorizePath, Authorize);
        app.MapPost(OidcSetup.TokenPath, Token);
        app.MapGet(OidcSetup.UserInfoPath, UserInfo);
        app.MapMethods(OidcSetup.EndSessionPath, [HttpMethods.Get, HttpMethods.Post], EndSession.HandleAsync);
        app.MapClientsApi();
        return app;
    }

    private static async Task<IResult> Authorize(
        HttpContext http,
        UserStore users,
        OrganizationService organizations,
        IOpenIddictApplicationManager applications,
        IOpenIddictAuthorizationManager authorizations,
        Consents consents,
        ClientOwners owners,
        SessionIssuer sessions,
        SessionStore sessionStore,
        TimeProvider clock,
        IOptions<IdentityOptions> options)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var returnUrl = http.Request.Path + http.Request.QueryString;
        var caller = await SessionIssuer.SessionAsync(http);
        var now = clock.GetUtcNow();
        var tooOld = caller is not null && request.MaxAge is { } maxAge && now - caller.AuthTime > TimeSpan.FromSeconds(maxAge);
        if (caller is null || tooOld || request.HasPromptValue(PromptValues.Login))
        {
            if (request.HasPromptValue(PromptValues.None)) return Refuse(Errors.LoginRequired, "The user is not signed in.");
            if (caller is not null) await sessions.SignOutAsync(http, "reauthentication");
            return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        }

        if (caller.MfaEnrolmentRequired) return Results.Redirect(PageLinks.WithReturn("/mfa/enrol", returnUrl));
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null)
        {
            await sessions.SignOutAsync(http, "user-gone");
            return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        }

        // The organization the tokens speak for: the one asked for (it must be one of the user's), else the user picks
        // one when they have several, else their only (or first) membership.
        var memberships = await organizations.ListForUserAsync(user.Id, http.RequestAborted);
        var parameter = request.GetParameter(OrganizationParameter);
        var chosen = (string?)parameter;
        Organization? organization;
        if (parameter is not null)
        {
            if (!Ids.IsWellFormed(chosen, "org_")) return Refuse(Errors.InvalidRequest, "The organization parameter is not an organization id.");
            organization = memberships.FirstOrDefault(o => o.Id == chosen);
            if (organization is null) return Refuse(Errors.AccessDenied, "The user is not a member of that organization.");
        }
        else if (memberships.Count > 1 && !request.HasPromptValue(PromptValues.None))
        {
            return Results.Redirect(PageLinks.WithReturn(OrganizationChoicePages.Path, returnUrl));
        }
        else
        {
            organization = memberships.FirstOrDefault();
        }

        var application = await applications.FindByClientIdAsync(request.ClientId!, http.RequestAborted)
            ?? throw new InvalidOperationException("OpenIddict validated the client before passthrough.");
        var applicationId = (await applications.GetIdAsync(application, http.RequestAborted))!;
        var scopes = request.GetScopes();

        // Consent is per organization: a client acting outside the organization that owns it needs an explicit grant
        // for that organization, which only the consent page gives (ID-OIDC), whatever the client's consent type.
        var actsIn = organization?.Id ?? "";
        // The platform's own clients (the console) act for the user in any of the user's organizations, like identity's pages.
        var firstParty = options.Value.FirstPartyClients.Any(c => c.ClientId == request.ClientId);
        var crossOrganization = organization is not null && !firstParty && await owners.OrganizationOfAsync(request.ClientId!, http.RequestAborted) != organization.Id;
        var consented = await consents.HasAsync(user.Id, applicationId, actsIn, scopes, http.RequestAborted);
        if (!consented && http.Request.Query["platform_consent"] == "denied") return Refuse(Errors.AccessDenied, "The user denied access.");
        if (!consented && (crossOrganization || await applications.HasConsentTypeAsync(application, ConsentTypes.Explicit, http.RequestAborted)))
        {
            if (request.HasPromptValue(PromptValues.None)) return Refuse(Errors.ConsentRequired, "The user has not consented to this client for this organization.");
            // The consent page shows (and the grant records) the organization the tokens will be for.
            var consentFor = organization is null ? returnUrl.ToString() : WithOrganization(returnUrl.ToString(), organization.Id);
            return Results.Redirect(PageLinks.WithReturn("/consent", consentFor));
        }

        var identity = TokenClaims.NewIdentity();
        identity.SetClaim(Claims.Subject, user.Id).SetClaim(Claims.Email, user.Email);
        if (organization is not null) identity.SetClaim(TokenClaims.OrganizationId, organization.Id);
        TokenClaims.SetArray(identity, TokenClaims.Roles, organization is null ? [] : [organization.Role]);
        TokenClaims.SetArray(identity, Claims.AuthenticationMethodReference, caller.Amr);
        TokenClaims.SetAuthTime(identity, caller.AuthTime);
        identity.SetScopes(scopes);
        if (OidcScopes.OpensApi(scopes)) identity.SetResources(options.Value.Tokens.Audience);

        // Each sign-in starts its own token family: an ad-hoc authorization that reuse detection can revoke whole.
        var family = await authorizations.CreateAsync(identity, user.Id, applicationId, AuthorizationTypes.AdHoc, scopes, http.RequestAborted);
        var familyId = await authorizations.GetIdAsync(family, http.RequestAborted);
        identity.SetAuthorizationId(familyId);
        // The family belongs to the signed-in session: ending that session (from its person's session list) revokes
        // it. The tokens name the session by its public handle (OIDC Core's sid), so the list can mark "this one".
        if (await SessionIssuer.SessionIdAsync(http) is { } sessionId)
        {
            await sessionStore.LinkAsync(sessionId, familyId!, http.RequestAborted);
            identity.SetClaim(TokenClaims.SessionId, SessionStore.Handle(sessionId));
        }

        identity.SetDestinations(TokenClaims.DestinationsOf);
        return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
    }

    private static async Task<IResult> Token(
        HttpContext http,
        UserStore users,
        OrganizationService organizations,
        ClientOwners owners,
        IOptions<IdentityOptions> options)
    {
        var request = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        if (request.IsClientCredentialsGrantType())
        {
            var identity = TokenClaims.NewIdentity();
            identity.SetClaim(Claims.Subject, request.ClientId);
            if (await owners.OrganizationOfAsync(request.ClientId!, http.RequestAborted) is { } orgId) identity.SetClaim(TokenClaims.OrganizationId, orgId);
            TokenClaims.SetArray(identity, TokenClaims.Roles, []);
            identity.SetScopes(request.GetScopes());
            if (OidcScopes.OpensApi(request.GetScopes())) identity.SetResources(options.Value.Tokens.Audience);
            identity.SetDestinations(TokenClaims.DestinationsOf);
            return Results.SignIn(new ClaimsPrincipal(identity), null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        if (request.IsAuthorizationCodeGrantType() || request.IsRefreshTokenGrantType())
        {
            var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var principal = result.Principal ?? throw new InvalidOperationException("OpenIddict validated the grant before passthrough.");
            var userId = principal.GetClaim(Claims.Subject);
            var user = userId is null ? null : await users.FindAsync(userId, http.RequestAborted);
            if (user is null) return Refuse(Errors.InvalidGrant, "The user no longer exists.");

            // The membership is read again on every refresh: a role change reaches the next access token, and a member
            // removed from the organization gets no more tokens for it.
            var identity = (ClaimsIdentity)principal.Identity!;
            var orgId = principal.GetClaim(TokenClaims.OrganizationId);
            if (orgId is not null)
            {
                var role = await organizations.RoleOfAsync(orgId, user.Id, http.RequestAborted);
                if (role is null) return Refuse(Errors.InvalidGrant, "The user is no longer a member of the organization.");
                TokenClaims.SetArray(identity, TokenClaims.Roles, [role]);
            }

            // A refresh that narrows the scopes (RFC 6749 section 6) to none of the platform's keeps no API audience.
            if (!OidcScopes.OpensApi(principal.GetScopes())) principal.SetResources([]);
            identity.SetDestinations(TokenClaims.DestinationsOf);
            return Results.SignIn(principal, null, OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        }

        return Refuse(Errors.UnsupportedGrantType, "This grant type is not supported.");
    }

    private static async Task<IResult> UserInfo(HttpContext http, UserStore users)
    {
        var result = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
        var userId = result.Principal?.GetClaim(Claims.Subject);
        var user = userId is null ? null : await users.FindAsync(userId, http.RequestAborted);
        if (user is null) return Results.Challenge(null, [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
        var claims = new Dictionary<string, object> { [Claims.Subject] = user.Id };
        if (result.Principal!.HasScope(Scopes.Email))
        {
            claims[Claims.Email] = user.Email;
            claims[Claims.EmailVerified] = user.EmailVerifiedAt is not null;
        }

        return Results.Ok(claims);
    }

    /// <summary>The same authorization request with its organization parameter set (replacing any earlier one).</summary>
    public static string WithOrganization(string authorizeUrl, string orgId)
    {
        var query = QueryHelpers.ParseQuery(authorizeUrl[OidcSetup.AuthorizePath.Length..]);
        var parameters = query.Where(p => p.Key != OrganizationParameter).SelectMany(p => p.Value.Select(v => new KeyValuePair<string, string?>(p.Key, v)));
        return QueryHelpers.AddQueryString(OidcSetup.AuthorizePath, parameters.Append(new(OrganizationParameter, orgId)));
    }

    private static IResult Refuse(string error, string description) => Results.Forbid(
        new AuthenticationProperties(new Dictionary<string, string?>
        {
            [OpenIddictServerAspNetCoreConstants.Properties.Error] = error,
            [OpenIddictServerAspNetCoreConstants.Properties.ErrorDescription] = description,
        }),
        [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
}
