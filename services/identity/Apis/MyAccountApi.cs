using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Mfa;
using Platform.Identity.Sessions;

namespace Platform.Identity.Apis;

public sealed record PasswordChangeRequest(string? CurrentPassword, string? NewPassword);

public sealed record RecoveryCodesLeftResponse(int Left, int Of);

/// <summary>
/// A signed-in person's own password and recovery codes (issue 19 item 2), from the session cookie or the console's
/// token (<see cref="ApiAccess.PersonalCallerAsync"/>). A password change needs the current password, and a fresh
/// second factor when the account has one; it ends every other session of the person. New recovery codes need a fresh
/// second factor, replace every earlier code, and are answered once, never cached.
/// </summary>
internal static class MyAccountApi
{
    public static IEndpointRouteBuilder MapMyAccountApi(this IEndpointRouteBuilder app)
    {
        var me = app.MapGroup("/v1/me");
        me.MapPost("/password", ChangePassword);
        me.MapGet("/mfa/recovery-codes", RecoveryCodesLeft);
        me.MapPost("/mfa/recovery-codes", NewRecoveryCodes);
        return app;
    }

    private static async Task<IResult> ChangePassword(PasswordChangeRequest body, HttpContext http, ApiAccess access, UserStore users, AccountService accounts,
        SessionStore sessions, Throttle throttle, AuditTrail audit, TimeProvider clock)
    {
        var (caller, current, refusal) = await access.PersonalCallerAsync(http);
        if (caller is null) return refusal!;
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null) return Problems.Unauthenticated();
        if (user.TotpSecret is not null && access.RequireStepUp(http, caller) is { } stepUp) return stepUp;
        // Before the password is checked (Argon2id): the throttle bounds the hashing one address can cause.
        var request = access.Request(http);
        if (await throttle.TryAcquireAsync(request.Ip, http.RequestAborted) is { } wait) return Problems.Throttled(http, wait);
        if (await accounts.ChangePasswordAsync(user, body.CurrentPassword, body.NewPassword, request, http.RequestAborted) is { } invalid)
        {
            return Problems.Invalid(invalid.Field, invalid.Reason);
        }

        // Whoever knew the old password is signed out everywhere else; this session goes on.
        var (ended, families, tokens) = await sessions.EndForUserAsync(user.Id, handle: null, keepHandle: current, http.RequestAborted);
        await MySessionsApi.RecordAsync(http, access, audit, clock, user.Id, "password-changed", ended, families, tokens);
        return Results.Ok(new SessionsEndedResponse(ended));
    }

    private static async Task<IResult> RecoveryCodesLeft(HttpContext http, ApiAccess access, TotpService totp)
    {
        var (caller, _, refusal) = await access.PersonalCallerAsync(http);
        if (caller is null) return refusal!;
        return await totp.RecoveryCodesLeftAsync(caller.UserId, http.RequestAborted) is { } left
            ? Results.Ok(new RecoveryCodesLeftResponse(left, TotpService.RecoveryCodeCount))
            : Problems.NoSuch("authenticator");
    }

    private static async Task<IResult> NewRecoveryCodes(HttpContext http, ApiAccess access, TotpService totp)
    {
        var (caller, _, refusal) = await access.PersonalCallerAsync(http);
        if (caller is null) return refusal!;
        if (access.RequireStepUp(http, caller) is { } stepUp) return stepUp;
        var codes = await totp.RegenerateRecoveryCodesAsync(caller.UserId, access.Request(http), http.RequestAborted);
        if (codes is null) return Problems.NoSuch("authenticator");
        http.Response.Headers.CacheControl = "no-store";
        return Results.Ok(new RecoveryCodesResponse(codes));
    }
}
