using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Options;
using Platform.SecurityConsole.Api;
using Platform.SecurityConsole.Auth;
using static Platform.SecurityConsole.Pages.Layout;

namespace Platform.SecurityConsole.Pages;

/// <summary>The start page, a new authorization (after a step-up or a new organization), and sign-out.</summary>
internal static partial class SessionPages
{
    public static void MapSessionPages(this IEndpointRouteBuilder app, RouteGroupBuilder forms)
    {
        app.MapGet("/", () => Results.Redirect("/console/"));
        app.MapGet("/console/", (Delegate)Start).RequireAuthorization();
        app.MapGet("/console/reauth", Reauthorize).RequireAuthorization();
        forms.MapPost("/console/signout", SignOut);
        app.MapGet(SignedOutPath, SignedOut);
    }

    public const string SignedOutPath = "/console/signed-out";
    private const string EndSessionPath = "/connect/endsession";

    /// <summary>
    /// The sign-out form's fields for identity's end-session endpoint, where the browser posts them next (307): which
    /// client, and where to come back. Nothing secret: the id token stays on the server, and a POST is its own proof.
    /// </summary>
    public static string EndSessionFields(HttpContext http)
    {
        var options = http.RequestServices.GetRequiredService<IOptions<ConsoleOptions>>().Value;
        return $"""<input type="hidden" name="client_id" value="{E(options.ClientId)}"><input type="hidden" name="post_logout_redirect_uri" value="{E(new Uri(options.PublicUri, SignedOutPath.TrimStart('/')).ToString())}">""";
    }

    private static IResult SignedOut(HttpContext http) => Standalone(http, "Signed out", """
        <p id="signed-out">You are signed out of the console and of your Platform account in this browser. The console session has ended on the server, and its tokens are revoked.</p>
        <p><a id="sign-in-again" href="/console/">Sign in to the console again</a></p>
        """);

    private static async Task<IResult> Start(HttpContext http)
    {
        var user = await UserContext.FromAsync(http);
        if (user?.OrganizationId is { } org) return Results.Redirect($"/console/o/{U(org)}");
        return Standalone(http, "You have no organization yet", """
            <p id="no-organization">Create one on your account page (you become its Owner), or accept an invitation, then continue here.</p>
            <p><a id="create-organization" href="/account">Create an organization</a></p>
            <p><a id="continue" href="/console/reauth?returnUrl=%2Fconsole%2F">Continue to the console</a></p>
            """);
    }

    private static async Task<IResult> Reauthorize(HttpContext http, string? returnUrl)
    {
        var user = await UserContext.FromAsync(http);
        var properties = new AuthenticationProperties { RedirectUri = Guard.IsLocalConsolePath(returnUrl) ? returnUrl : "/console/" };
        if (user?.OrganizationId is { } org) properties.Items[OidcSetup.OrganizationItem] = org;
        return Results.Challenge(properties, [OpenIdConnectDefaults.AuthenticationScheme]);
    }

    /// <summary>
    /// Ends the console session on the server (the Redis entry goes: a copy of the cookie no longer works), revokes the
    /// session's refresh token at identity, then sends the browser to identity's end-session endpoint.
    /// </summary>
    private static async Task<IResult> SignOut(HttpContext http, IHttpClientFactory clients, IOptions<ConsoleOptions> options, ILogger<RedisTicketStore> logger)
    {
        var refreshToken = await http.GetTokenAsync("refresh_token");
        if (refreshToken is not null)
        {
            try
            {
                using var revoked = await clients.CreateClient(PlatformHttp.Name).PostAsync("connect/revoke", new FormUrlEncodedContent(new Dictionary<string, string>
                {
                    ["token"] = refreshToken,
                    ["token_type_hint"] = "refresh_token",
                    ["client_id"] = options.Value.ClientId,
                    ["client_secret"] = options.Value.ClientSecret,
                }));
                if (!revoked.IsSuccessStatusCode) LogRevocationFailed(logger, (int)revoked.StatusCode);
            }
            catch (HttpRequestException e)
            {
                LogRevocationFailed(logger, e.HttpRequestError.GetHashCode());
            }
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        // Then the identity session (OpenID Connect RP-initiated logout): the browser posts the sign-out form's
        // client_id and post_logout_redirect_uri on to identity's end-session endpoint, and comes back signed out.
        return Results.Redirect(EndSessionPath, permanent: false, preserveMethod: true);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revoking the session's refresh token at sign-out failed ({Status}).")]
    private static partial void LogRevocationFailed(ILogger logger, int status);
}
