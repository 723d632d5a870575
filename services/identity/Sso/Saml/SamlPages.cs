using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Model;
using Platform.Identity.Sessions;

namespace Platform.Identity.Sso.Saml;

/// <summary>
/// The browser's side of SAML: off to the IdP (from home-realm discovery), back at the ACS by HTTP-POST, and the
/// service provider's metadata per connection (public: an IdP administrator pastes its URL).
/// </summary>
internal static class SamlPages
{
    public static IEndpointRouteBuilder MapSamlPages(this IEndpointRouteBuilder app)
    {
        // The IdP's page posts here cross-site: no antiforgery token can exist; the request's binding cookie stands in for it.
        app.MapPost("/sso/saml/{connectionId}/acs", Acs).DisableAntiforgery();
        app.MapGet("/sso/saml/{connectionId}/metadata", Metadata);
        return app;
    }

    public static async Task<IResult> StartAsync(HttpContext http, SamlSignIn saml, SsoConnection connection, string? returnUrl, IdentityOptions options)
    {
        var start = await saml.StartAsync(connection, returnUrl, http.RequestAborted);
        // SameSite=None: the IdP's answer arrives as a cross-site POST, which a Lax cookie would not accompany.
        http.Response.Cookies.Append(SamlSignIn.BrowserCookie, start.BrowserBinding, new CookieOptions
        {
            HttpOnly = true,
            Secure = true,
            SameSite = SameSiteMode.None,
            Path = "/",
            MaxAge = options.Sso.LoginLifetime,
        });
        return Results.Redirect(start.RedirectUrl);
    }

    private static async Task<IResult> Acs(string connectionId, HttpContext http, SamlSignIn saml, SessionIssuer sessions, SignInService signIn, IOptions<IdentityOptions> options)
    {
        string? response = null;
        if (http.Request.HasFormContentType && (http.Request.ContentLength ?? 0) <= SamlResponseValidator.MaxEncodedLength * 2)
        {
            var form = await http.Request.ReadFormAsync(http.RequestAborted);
            response = form["SAMLResponse"].Count == 1 ? form["SAMLResponse"].ToString() : null;
        }

        var binding = http.Request.Cookies[SamlSignIn.BrowserCookie];
        var result = await saml.ConsumeAsync(connectionId, response, binding, RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        if (result.User is not null) http.Response.Cookies.Delete(SamlSignIn.BrowserCookie, new CookieOptions { Secure = true, Path = "/", SameSite = SameSiteMode.None });
        return await SsoPages.FinishAsync(http, result, sessions, signIn);
    }

    private static async Task<IResult> Metadata(string connectionId, HttpContext http, SsoStore connections, SamlStore store, SamlSpKeyStore spKeys, IOptions<IdentityOptions> options)
    {
        var connection = Ids.IsWellFormed(connectionId, "sso_") ? await connections.ConnectionByIdAsync(connectionId, http.RequestAborted) : null;
        var settings = connection is { Protocol: SsoConnection.Saml } ? await store.SettingsAsync(connection.Id, http.RequestAborted) : null;
        if (connection is null || settings is null) return Apis.Problems.NoSuch("SAML connection");
        var issuer = options.Value.Issuer;
        var keys = await spKeys.KeysAsync(connection.Id, http.RequestAborted);
        return Results.Text(SamlMetadata.Sp(SamlSettings.SpEntityId(issuer, connection.Id), SamlSettings.AcsUrl(issuer, connection.Id), keys, settings.WantAuthnRequestsSigned,
            settings.WantAssertionsSigned),
            "application/samlmetadata+xml");
    }
}
