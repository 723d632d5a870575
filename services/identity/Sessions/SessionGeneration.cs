using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;

namespace Platform.Identity.Sessions;

/// <summary>
/// A cookie is only as good as the server-side session it names (<see cref="SessionStore"/>: gone after sign-out) and
/// the user's session generation it was issued under: a password reset moves the generation on, so every session
/// signed in elsewhere stops working at its next request (ID-USER).
/// </summary>
internal static class SessionGeneration
{
    public static async Task ValidateAsync(CookieValidatePrincipalContext context)
    {
        var userId = context.Principal?.FindFirst(SessionClaims.Subject)?.Value;
        var sessionId = context.Principal?.FindFirst(SessionClaims.SessionId)?.Value;
        var issuedUnder = context.Principal?.FindFirst(SessionClaims.SessionGeneration)?.Value;
        var sessions = context.HttpContext.RequestServices.GetRequiredService<SessionStore>();
        var current = userId is null || sessionId is null ? null : await sessions.GenerationAsync(sessionId, userId, context.HttpContext.RequestAborted);
        if (current is { } generation && issuedUnder == generation.ToString(CultureInfo.InvariantCulture)) return;
        context.RejectPrincipal();
        await context.HttpContext.SignOutAsync(context.Scheme.Name);
    }
}
