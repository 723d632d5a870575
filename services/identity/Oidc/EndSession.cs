using Microsoft.AspNetCore;
using Microsoft.AspNetCore.Authentication;
using OpenIddict.Abstractions;
using OpenIddict.Server.AspNetCore;
using Platform.Identity.Pages;
using Platform.Identity.Sessions;
using static OpenIddict.Abstractions.OpenIddictConstants;

namespace Platform.Identity.Oidc;

/// <summary>
/// OpenID Connect RP-initiated logout (the end-session endpoint, passthrough): a client ends the user's identity session
/// too, so its own sign-out is not followed by a silent sign-in. OpenIddict has already checked the client, its
/// registered post-logout redirect URI and any id_token_hint. Ending the session needs proof the request is the user's:
/// a POST (the session cookie is SameSite=Lax, so a cross-site POST arrives without it and ends nothing), or an
/// id_token_hint issued to this very session's user. A bare cross-site GET link ends nothing: the browser goes to the
/// account page, where the user can sign out themselves.
/// </summary>
internal static class EndSession
{
    public static async Task<IResult> HandleAsync(HttpContext http, SessionIssuer sessions)
    {
        _ = http.GetOpenIddictServerRequest() ?? throw new InvalidOperationException("Not an OpenID Connect request.");
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is not null)
        {
            var hint = await http.AuthenticateAsync(OpenIddictServerAspNetCoreDefaults.AuthenticationScheme);
            var hintIsTheUser = hint.Principal?.GetClaim(Claims.Subject) is { } subject && subject == caller.UserId;
            if (!HttpMethods.IsPost(http.Request.Method) && !hintIsTheUser) return Results.Redirect("/account");
            await sessions.SignOutAsync(http, "rp-initiated-logout");
        }

        // To the client's registered post_logout_redirect_uri when it gave one, else to identity's sign-in page.
        return Results.SignOut(new AuthenticationProperties { RedirectUri = PageLinks.WithReturn("/signin", "/account") },
            [OpenIddictServerAspNetCoreDefaults.AuthenticationScheme]);
    }
}
