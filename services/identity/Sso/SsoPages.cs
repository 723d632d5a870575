using Microsoft.AspNetCore.Antiforgery;
using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Organizations;
using Platform.Identity.Pages;
using Platform.Identity.Sessions;
using static Platform.Identity.Pages.Html;

namespace Platform.Identity.Sso;

/// <summary>The browser's side of single sign-on: off to the IdP, back at <c>/sso/callback</c>, and the Owners' break-glass page.</summary>
internal static class SsoPages
{
    public static IEndpointRouteBuilder MapSsoPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/sso/callback", Callback);
        app.MapGet("/sso/break-glass", (HttpContext http, IAntiforgery af, string? returnUrl) => AccountPages.BreakGlassPage(http, af, returnUrl));
        return app;
    }

    public static async Task<IResult> StartAsync(HttpContext http, SsoFederation federation, SsoConnection connection, string? email, string? returnUrl, IdentityOptions options)
    {
        if (connection.Protocol == SsoConnection.Saml)
        {
            return await Saml.SamlPages.StartAsync(http, http.RequestServices.GetRequiredService<Saml.SamlSignIn>(), connection, PageLinks.IsLocal(returnUrl) ? returnUrl : null, options);
        }

        var start = await federation.StartAsync(connection, email?.Trim(), PageLinks.IsLocal(returnUrl) ? returnUrl : null, http.RequestAborted);
        // Binds the state to this browser: the callback is refused unless the same browser brings it back.
        http.Response.Cookies.Append(SsoFederation.StateCookie, start.State, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.Lax,
            Path = "/",
            MaxAge = options.Sso.LoginLifetime,
        });
        return Results.Redirect(start.AuthorizationUrl);
    }

    private static async Task<IResult> Callback(HttpContext http, string? state, string? code, string? error, SsoFederation federation, SessionIssuer sessions,
        SignInService signIn, IOptions<IdentityOptions> options)
    {
        var browserState = http.Request.Cookies[SsoFederation.StateCookie];
        http.Response.Cookies.Delete(SsoFederation.StateCookie, new CookieOptions { Secure = true, Path = "/", SameSite = SameSiteMode.Lax });
        var result = await federation.CompleteAsync(state, browserState, code, error, RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        return await FinishAsync(http, result, sessions, signIn);
    }

    /// <summary>The end of a sign-in through an IdP (OpenID Connect or SAML): the error page, or a session and the way on.</summary>
    public static async Task<IResult> FinishAsync(HttpContext http, SsoResult result, SessionIssuer sessions, SignInService signIn)
    {
        if (result.User is not { } user)
        {
            return Page(http, "Single sign-on failed", $"""
                <p class="error" role="alert" id="sso-error" data-reason="{E(result.Reason)}">{E(Explain(result.Reason!))}</p>
                <p><a href="/signin">Back to sign-in</a></p>
                """, result.Reason is "email-domain-of-another-organization" or "email-domain-not-verified" or "email-not-verified" or "existing-account-not-linkable" ? 403 : 400);
        }

        var enrolmentRequired = user.TotpSecret is null && await signIn.OrganizationRequiresMfaAsync(user.Id, http.RequestAborted);
        await sessions.SignInAsync(http, user.Id, user.Email, ["fed"], enrolmentRequired, user.SessionGeneration);
        return Results.Redirect(enrolmentRequired ? PageLinks.WithReturn("/mfa/enrol", result.ReturnUrl) : PageLinks.Safe(result.ReturnUrl));
    }

    /// <summary>What the person is told: the reason class, never a token, code or secret.</summary>
    private static string Explain(string reason) => reason switch
    {
        "missing-state" or "state-not-of-this-browser" => "This sign-in was not started in this browser. Start again from the sign-in page.",
        "state-unknown-expired-or-replayed" => "This sign-in has expired or was already used. Start again from the sign-in page.",
        "idp-error" => "Your identity provider did not sign you in.",
        "existing-account-not-linkable" =>
            "An account with this address already exists and has a second factor or belongs to another organization: sign in with its password and second factor.",
        "email-not-verified" => "Your identity provider does not vouch for your email address (email_verified is not true).",
        "email-domain-not-verified" or "email-domain-of-another-organization" =>
            "Your identity provider is not allowed to sign in addresses of this email domain for this organization.",
        "wrong-issuer" or "wrong-audience" or "wrong-authorized-party" or "bad-signature" or "algorithm-not-allowed" or "invalid-id-token" or "expired" or "not-yet-valid"
            or "missing-nonce" or "nonce-mismatch" or "missing-subject" or "missing-email" =>
            $"The identity provider's answer failed a check ({reason}). Ask your administrator to check the connection.",
        _ when Saml.SamlReasons.All.Contains(reason) => $"The identity provider's SAML response failed a check ({reason}). Ask your administrator to check the connection.",
        _ => $"Single sign-on could not be completed ({reason}).",
    };
}
