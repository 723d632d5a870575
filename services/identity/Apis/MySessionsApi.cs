using System.Globalization;
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

    private static async Task<IResult> List(HttpContext http, SessionStore store, ApiAccess access)
    {
        var (caller, current, refusal) = await access.PersonalCallerAsync(http);
        var userId = caller?.UserId;
        if (userId is null) return refusal!;
        var list = await store.ListAsync(userId, http.RequestAborted);
        return Results.Ok(new { items = list.Select(s => new SessionResponse(s.Handle, s.UserAgent, s.Ip, s.CreatedAt, s.LastSeenAt, s.ExpiresAt, s.Handle == current)) });
    }

    private static async Task<IResult> End(string sessionId, HttpContext http, SessionStore store, ApiAccess access, AuditTrail audit, TimeProvider clock)
    {
        var (caller, _, refusal) = await access.PersonalCallerAsync(http);
        var userId = caller?.UserId;
        if (userId is null) return refusal!;
        if (sessionId.Length != 32 || !sessionId.All(char.IsAsciiHexDigitLower)) return Problems.NoSuch("session");
        // Another person's session is "no such session": the query only matches the caller's own.
        var (ended, families, tokens) = await store.EndForUserAsync(userId, sessionId, keepHandle: null, http.RequestAborted);
        if (ended == 0) return Problems.NoSuch("session");
        await RecordAsync(http, access, audit, clock, userId, "ended-from-session-list", ended, families, tokens);
        return Results.NoContent();
    }

    private static async Task<IResult> EndOthers(HttpContext http, SessionStore store, ApiAccess access, AuditTrail audit, TimeProvider clock)
    {
        var (caller, current, refusal) = await access.PersonalCallerAsync(http);
        var userId = caller?.UserId;
        if (userId is null) return refusal!;
        var (ended, families, tokens) = await store.EndForUserAsync(userId, handle: null, keepHandle: current, http.RequestAborted);
        await RecordAsync(http, access, audit, clock, userId, "sign-out-elsewhere", ended, families, tokens);
        return Results.Ok(new SessionsEndedResponse(ended));
    }

    /// <summary>The audit of sessions ended by their person (from the list, elsewhere, or by a password change).</summary>
    internal static Task RecordAsync(HttpContext http, ApiAccess access, AuditTrail audit, TimeProvider clock, string userId, string reason, int sessions, int families, int tokens) =>
        audit.RecordAsync(access.Request(http).Audit(clock.GetUtcNow(), userId, AuditActions.SessionsRevoked, "success", userId, details: new Dictionary<string, string>
        {
            ["reason"] = reason,
            ["sessions"] = sessions.ToString(CultureInfo.InvariantCulture),
            ["authorizations"] = families.ToString(CultureInfo.InvariantCulture),
            ["tokens"] = tokens.ToString(CultureInfo.InvariantCulture),
        }), http.RequestAborted);
}
