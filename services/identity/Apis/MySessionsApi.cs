using System.Globalization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Platform.Identity.Events;
using Platform.Identity.Sessions;

namespace Platform.Identity.Apis;

/// <summary>A session as its person sees it in the list; <c>id</c> is the session's public handle.</summary>
public sealed record SessionResponse(string Id, string? UserAgent, string? Ip, DateTimeOffset CreatedAt, DateTimeOffset? LastSeenAt, DateTimeOffset ExpiresAt, bool Current);

public sealed record SessionsEndedResponse(int Ended);

/// <summary>
/// A person's own sessions (issue 19 item 2): list them, end one, or end every other one ("sign out elsewhere"). Each
/// ended session's cookie is refused from its next request and the token families signed in from it are revoked.
/// The caller is the session cookie, or an access token of one of the platform's own clients (the console) that
/// names its session (<c>sid</c>): a third-party application never manages where its user is signed in.
/// </summary>
internal static class MySessionsApi
{
    public static IEndpointRouteBuilder MapMySessionsApi(this IEndpointRouteBuilder app)
    {
        var sessions = app.MapGroup("/v1/me/sessions");
        sessions.MapGet("", List);
        sessions.MapDelete("/{sessionId}", End);
        sessions.MapPost("/sign-out-others", EndOthers);
        return app;
    }

    private static async Task<IResult> List(HttpContext http, SessionStore store, ApiAccess access, IOptions<IdentityOptions> options)
    {
        var (userId, current, refusal) = await CallerAsync(http, access, options.Value);
        if (userId is null) return refusal!;
        var list = await store.ListAsync(userId, http.RequestAborted);
        return Results.Ok(new { items = list.Select(s => new SessionResponse(s.Handle, s.UserAgent, s.Ip, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.Handle == current)) });
    }

    private static async Task<IResult> End(string sessionId, HttpContext http, SessionStore store, ApiAccess access, AuditTrail audit, TimeProvider clock, IOptions<IdentityOptions> options)
    {
        var (userId, _, refusal) = await CallerAsync(http, access, options.Value);
        if (userId is null) return refusal!;
        if (sessionId.Length != 32 || !sessionId.All(char.IsAsciiHexDigitLower)) return Problems.NoSuch("session");
        // Another person's session is "no such session": the query only matches the caller's own.
        var (ended, families, tokens) = await store.EndForUserAsync(userId, sessionId, keepHandle: null, http.RequestAborted);
        if (ended == 0) return Problems.NoSuch("session");
        await RecordAsync(http, access, audit, clock, userId, "ended-from-session-list", ended, families, tokens);
        return Results.NoContent();
    }

    private static async Task<IResult> EndOthers(HttpContext http, SessionStore store, ApiAccess access, AuditTrail audit, TimeProvider clock, IOptions<IdentityOptions> options)
    {
        var (userId, current, refusal) = await CallerAsync(http, access, options.Value);
        if (userId is null) return refusal!;
        var (ended, families, tokens) = await store.EndForUserAsync(userId, handle: null, keepHandle: current, http.RequestAborted);
        await RecordAsync(http, access, audit, clock, userId, "sign-out-elsewhere", ended, families, tokens);
        return Results.Ok(new SessionsEndedResponse(ended));
    }

    private static Task RecordAsync(HttpContext http, ApiAccess access, AuditTrail audit, TimeProvider clock, string userId, string reason, int sessions, int families, int tokens) =>
        audit.RecordAsync(access.Request(http).Audit(clock.GetUtcNow(), userId, AuditActions.SessionsRevoked, "success", userId, details: new Dictionary<string, string>
        {
            ["reason"] = reason,
            ["sessions"] = sessions.ToString(CultureInfo.InvariantCulture),
            ["authorizations"] = families.ToString(CultureInfo.InvariantCulture),
            ["tokens"] = tokens.ToString(CultureInfo.InvariantCulture),
        }), http.RequestAborted);

    /// <returns>The user and the handle of the session the request speaks from, or the refusal.</returns>
    private static async Task<(string? UserId, string? Current, IResult? Refusal)> CallerAsync(HttpContext http, ApiAccess access, IdentityOptions options)
    {
        if (!BearerTokenHandler.IsPresent(http.Request))
        {
            var (caller, refusal) = await access.CallerAsync(http);
            if (caller is null) return (null, null, refusal);
            var sessionId = await SessionIssuer.SessionIdAsync(http);
            return (caller.UserId, sessionId is null ? null : SessionStore.Handle(sessionId), null);
        }

        if (http.Request.Cookies.ContainsKey("__Host-platform-session")) return (null, null, Problems.MultipleCredentials());
        var result = await http.AuthenticateAsync(BearerTokenHandler.SchemeName);
        if (!result.Succeeded) return (null, null, Problems.InvalidToken(http));
        var principal = result.Principal;
        var clientId = principal.FindFirst("client_id")?.Value;
        var handle = principal.FindFirst(SessionClaims.SessionId)?.Value;
        if (Caller.From(principal) is not { } user || handle is null || !options.FirstPartyClients.Any(c => c.ClientId == clientId))
        {
            return (null, null, Problems.Forbid("Sessions are managed from identity's pages or the platform's console only."));
        }

        return (user.UserId, handle, null);
    }
}
