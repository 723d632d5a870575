using System.Globalization;
using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Events;

namespace Platform.Identity.Sessions;

/// <summary>
/// The browser session: an encrypted, HttpOnly, Secure, SameSite=Lax cookie. After a correct password a user with
/// TOTP first gets only the short "MFA pending" cookie; the session cookie comes with the second factor. Each cookie
/// names a server-side session (<see cref="SessionStore"/>): a sign-in replaces the request's earlier one, and signing
/// out deletes it, so a copy of the cookie kept elsewhere stops working too.
/// </summary>
internal sealed class SessionIssuer(TimeProvider clock, UserStore users, SessionStore sessions, AuditTrail audit, IOptions<IdentityOptions> options)
{
    public const string Scheme = "Identity.Session";
    public const string MfaScheme = "Identity.MfaPending";
    private static readonly TimeSpan SessionLifetime = TimeSpan.FromHours(8);
    private static readonly TimeSpan PendingLifetime = TimeSpan.FromMinutes(5);

    public static void ConfigureCookies(AuthenticationBuilder authentication)
    {
        authentication.AddCookie(Scheme, cookie =>
        {
            cookie.Cookie.Name = "__Host-platform-session";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.Path = "/";
            cookie.ExpireTimeSpan = SessionLifetime;
            cookie.SlidingExpiration = false;
            cookie.Events.OnRedirectToLogin = context => Refuse(context, 401);
            cookie.Events.OnRedirectToAccessDenied = context => Refuse(context, 403);
            cookie.Events.OnValidatePrincipal = SessionGeneration.ValidateAsync;
        });
        authentication.AddCookie(MfaScheme, cookie =>
        {
            cookie.Cookie.Name = "__Host-platform-mfa";
            cookie.Cookie.HttpOnly = true;
            cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            cookie.Cookie.SameSite = SameSiteMode.Lax;
            cookie.Cookie.Path = "/";
            cookie.ExpireTimeSpan = PendingLifetime;
            cookie.Events.OnRedirectToLogin = context => Refuse(context, 401);
            cookie.Events.OnValidatePrincipal = SessionGeneration.ValidateAsync;
        });
    }

    private static Task Refuse(RedirectContext<CookieAuthenticationOptions> context, int status)
    {
        context.Response.StatusCode = status;
        return Task.CompletedTask;
    }

    /// <param name="generation">The user's session generation when the caller has just read the user row (saves a query).</param>
    public async Task SignInAsync(HttpContext http, string userId, string email, IReadOnlyList<string> amr, bool enrolmentRequired, int? generation = null)
    {
        var identity = new ClaimsIdentity(Scheme, SessionClaims.Subject, SessionClaims.Roles);
        identity.AddClaim(new Claim(SessionClaims.Subject, userId));
        identity.AddClaim(new Claim(SessionClaims.Email, email));
        foreach (var method in amr) identity.AddClaim(new Claim(SessionClaims.Amr, method));
        identity.AddClaim(new Claim(SessionClaims.AuthTime, clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        if (enrolmentRequired) identity.AddClaim(new Claim(SessionClaims.MfaEnrolmentRequired, "true"));
        await AddGenerationAsync(identity, userId, generation, http.RequestAborted);
        var sessionId = await sessions.CreateAsync(userId, SessionLifetime, RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        // The token families the replaced session started (the console's, say, before a step-up) go with the new one.
        await sessions.AdoptAsync(await CurrentSessionIdsAsync(http), sessionId, http.RequestAborted);
        await EndCurrentAsync(http);
        identity.AddClaim(new Claim(SessionClaims.SessionId, sessionId));
        await http.SignOutAsync(MfaScheme);
        await http.SignInAsync(Scheme, new ClaimsPrincipal(identity));
    }

    public async Task MfaPendingAsync(HttpContext http, string userId, int? generation = null)
    {
        var identity = new ClaimsIdentity(MfaScheme, SessionClaims.Subject, SessionClaims.Roles);
        identity.AddClaim(new Claim(SessionClaims.Subject, userId));
        identity.AddClaim(new Claim(SessionClaims.PasswordTime, clock.GetUtcNow().ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
        await AddGenerationAsync(identity, userId, generation, http.RequestAborted);
        await EndCurrentAsync(http);
        identity.AddClaim(new Claim(SessionClaims.SessionId, await sessions.CreateAsync(userId, PendingLifetime, RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted)));
        await http.SignOutAsync(Scheme);
        await http.SignInAsync(MfaScheme, new ClaimsPrincipal(identity));
    }

    private async Task AddGenerationAsync(ClaimsIdentity identity, string userId, int? known, CancellationToken cancellationToken)
    {
        var generation = known ?? await users.SessionGenerationAsync(userId, cancellationToken) ?? throw new InvalidOperationException("The user no longer exists.");
        identity.AddClaim(new Claim(SessionClaims.SessionGeneration, generation.ToString(CultureInfo.InvariantCulture)));
    }

    public static async Task<string?> PendingUserAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(MfaScheme);
        return result.Succeeded ? result.Principal.FindFirst(SessionClaims.Subject)?.Value : null;
    }

    public static async Task<Caller?> SessionAsync(HttpContext http)
    {
        var result = await http.AuthenticateAsync(Scheme);
        return result.Succeeded ? Caller.From(result.Principal) : null;
    }

    /// <summary>Ends the request's sessions on the server (audited) and clears their cookies.</summary>
    public async Task SignOutAsync(HttpContext http, string reason = "signed-out")
    {
        if (await EndCurrentAsync(http) is { } userId)
        {
            await audit.RecordAsync(RequestInfo.From(http, options.Value.TrustedProxies).Audit(clock.GetUtcNow(), userId, AuditActions.SignedOut, "success", userId,
                details: new Dictionary<string, string> { ["reason"] = reason }), http.RequestAborted);
        }

        await http.SignOutAsync(Scheme);
        await http.SignOutAsync(MfaScheme);
    }

    /// <summary>The id of the session the request's session cookie names (not checked against the store: the caller does that).</summary>
    public static async Task<string?> SessionIdAsync(HttpContext http) =>
        (await http.AuthenticateAsync(Scheme)).Principal?.FindFirst(SessionClaims.SessionId)?.Value;

    private static async Task<IReadOnlyList<string>> CurrentSessionIdsAsync(HttpContext http) =>
        await SessionIdAsync(http) is { } id ? [id] : [];

    /// <returns>The user whose live session (or pending sign-in) the request's cookies named and which is now deleted, if any.</returns>
    private async Task<string?> EndCurrentAsync(HttpContext http)
    {
        string? ended = null;
        foreach (var scheme in (string[])[Scheme, MfaScheme])
        {
            var principal = (await http.AuthenticateAsync(scheme)).Principal;
            if (principal?.FindFirst(SessionClaims.SessionId)?.Value is { } sessionId && await sessions.EndAsync(sessionId, http.RequestAborted))
            {
                ended ??= principal.FindFirst(SessionClaims.Subject)?.Value;
            }
        }

        return ended;
    }
}
