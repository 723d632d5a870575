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
    }

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
    /// Ends the console session on the server (the Redis entry goes: a copy of the cookie no longer works) and revokes
    /// the session's refresh token at identity. The identity session is the user's own to end on identity's page.
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
        return Standalone(http, "Signed out of the console", """
            <p id="signed-out">Your console session has ended on the server, and its tokens are revoked.</p>
            <p>You are still signed in to your Platform account in this browser; <a href="/account">sign out there</a> too on a shared computer.</p>
            <p><a href="/console/">Sign in to the console again</a></p>
            """);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Revoking the session's refresh token at sign-out failed ({Status}).")]
    private static partial void LogRevocationFailed(ILogger logger, int status);
}
