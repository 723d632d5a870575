using Microsoft.AspNetCore.Http.HttpResults;
using Platform.Identity.Accounts;
using Platform.Identity.Mfa;
using Platform.Identity.Sessions;

namespace Platform.Identity.Apis;

/// <summary>Accounts and sessions over JSON: sign-up, verification, reset, sign-in, MFA (ID-USER, ID-MFA).</summary>
internal static class SessionApi
{
    public static IEndpointRouteBuilder MapSessionApi(this IEndpointRouteBuilder app)
    {
        var v1 = app.MapGroup("/v1");
        v1.MapPost("/accounts", SignUp);
        v1.MapPost("/accounts/verify-email", VerifyEmail);
        v1.MapPost("/accounts/password-reset", RequestReset);
        v1.MapPost("/accounts/password-reset/complete", CompleteReset);
        v1.MapPost("/session", SignIn);
        v1.MapPost("/session/mfa", Mfa);
        v1.MapDelete("/session", (Delegate)SignOut);
        v1.MapGet("/me", Me);
        v1.MapPost("/me/mfa/totp", BeginTotp);
        v1.MapPost("/me/mfa/totp/confirm", ConfirmTotp);
        v1.MapDelete("/me/mfa/totp", RemoveTotp);
        return app;
    }

    public static async Task<IResult> SignUp(SignUpRequest body, HttpContext http, AccountService accounts, Throttle throttle, ApiAccess access)
    {
        var request = access.Request(http);
        if (await throttle.TryAcquireAsync(request.Ip, http.RequestAborted) is { } wait) return Problems.Throttled(http, wait);
        if (await accounts.SignUpAsync(body.Email, body.Password, request, http.RequestAborted) is { } refusal) return Problems.Invalid(refusal.Field, refusal.Reason);
        // The same answer whether or not the address already had an account (no enumeration).
        return Results.Accepted(null, new { status = "check-your-email" });
    }

    public static async Task<IResult> VerifyEmail(CodeRequest body, HttpContext http, AccountService accounts, ApiAccess access) =>
        await accounts.VerifyEmailAsync(body.Token, access.Request(http), http.RequestAborted)
            ? Results.NoContent()
            : Results.Problem(statusCode: 400, type: Problems.InvalidCode, title: "Invalid code", detail: "The code is invalid, used or expired.");

    public static async Task<IResult> RequestReset(EmailRequest body, HttpContext http, AccountService accounts, Throttle throttle, ApiAccess access)
    {
        if (await throttle.TryAcquireAsync(access.Request(http).Ip, http.RequestAborted) is { } wait) return Problems.Throttled(http, wait);
        if (body.Email is not { Length: <= 254 }) return Problems.Invalid("email", "The email address is too long.");
        await accounts.RequestPasswordResetAsync(body.Email, http.RequestAborted);
        return Results.Accepted(null, new { status = "check-your-email" });
    }

    public static async Task<IResult> CompleteReset(PasswordResetRequest body, HttpContext http, AccountService accounts, Throttle throttle, ApiAccess access)
    {
        // Before the new password is hashed (Argon2id): the throttle bounds the hashing one address can cause.
        var request = access.Request(http);
        if (await throttle.TryAcquireAsync(request.Ip, http.RequestAborted) is { } wait) return Problems.Throttled(http, wait);
        return await accounts.ResetPasswordAsync(body.Token, body.Password, request, http.RequestAborted) is { } refusal
            ? Problems.Invalid(refusal.Field, refusal.Reason)
            : Results.NoContent();
    }

    public static async Task<IResult> SignIn(SignInRequest body, HttpContext http, SignInService signIn, SessionIssuer sessions, ApiAccess access)
    {
        var result = await signIn.PasswordSignInAsync(body.Email, body.Password, access.Request(http), http.RequestAborted, body.BreakGlass);
        switch (result.Status)
        {
            case SignInStatus.Throttled:
                return Problems.Throttled(http, result.RetryAfter!.Value);
            case SignInStatus.Failed:
                return Results.Problem(statusCode: 401, type: Problems.InvalidCredentials, title: "Sign-in failed",
                    detail: "The email or password is incorrect, or the account is temporarily locked. Try again later or reset your password.");
            case SignInStatus.EmailNotVerified:
                return Results.Problem(statusCode: 403, type: Problems.EmailNotVerified, title: "Email not verified",
                    detail: "Verify your email address first: we sent you a code when you signed up.");
            case SignInStatus.SsoRequired:
                return Results.Problem(statusCode: 403, type: Problems.SsoRequired, title: "Single sign-on required",
                    detail: "Your organization requires single sign-on for this email domain: sign in through your identity provider (the sign-in page with the email alone).");
        }

        var user = result.User!;
        if (result.HasTotp)
        {
            await sessions.MfaPendingAsync(http, user.Id, user.SessionGeneration);
            return Results.Ok(new SignInResponse("mfa-required", null));
        }

        await sessions.SignInAsync(http, user.Id, user.Email, ["pwd"], result.MfaEnrolmentRequired, user.SessionGeneration);
        return Results.Ok(new SignInResponse(result.MfaEnrolmentRequired ? "mfa-enrolment-required" : "signed-in", user.Id));
    }

    /// <summary>The second factor: completes a pending sign-in, or steps up a signed-in session.</summary>
    public static async Task<IResult> Mfa(MfaRequest body, HttpContext http, UserStore users, TotpService totp, SessionIssuer sessions, ApiAccess access)
    {
        var pending = await SessionIssuer.PendingUserAsync(http);
        var userId = pending ?? (await SessionIssuer.SessionAsync(http))?.UserId;
        if (userId is null) return Problems.Unauthenticated("Sign in with your password first.");
        var user = await users.FindAsync(userId, http.RequestAborted);
        if (user?.TotpSecret is null) return Results.Problem(statusCode: 409, type: Problems.Conflict, title: "No second factor", detail: "This account has no TOTP authenticator.");
        var result = await totp.VerifyAsync(user, body.Code, body.RecoveryCode, pending is null ? MfaPurpose.StepUp : MfaPurpose.SignIn, access.Request(http), http.RequestAborted);
        var check = result.Check;
        if (check is MfaCheck.Locked or MfaCheck.Throttled) return Problems.MfaRefused(http, result);
        if (check is MfaCheck.Failed)
        {
            return Results.Problem(statusCode: 401, type: Problems.InvalidCode, title: "Invalid code",
                detail: "The code is wrong or already used.");
        }

        string[] amr = check == MfaCheck.Passed ? ["pwd", "otp", "mfa"] : ["pwd", "mfa"];
        await sessions.SignInAsync(http, user.Id, user.Email, amr, enrolmentRequired: false, user.SessionGeneration);
        return Results.Ok(new SignInResponse("signed-in", user.Id));
    }

    public static async Task<NoContent> SignOut(HttpContext http, SessionIssuer sessions)
    {
        await sessions.SignOutAsync(http);
        return TypedResults.NoContent();
    }

    public static async Task<IResult> Me(HttpContext http, UserStore users, ApiAccess access)
    {
        var (caller, refusal) = await access.CallerAsync(http, allowPendingEnrolment: true);
        if (caller is null) return refusal!;
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null) return Problems.Unauthenticated();
        return Results.Ok(new MeResponse(user.Id, user.Email, caller.Amr, caller.AuthTime, user.TotpSecret is not null, caller.MfaEnrolmentRequired));
    }

    public static async Task<IResult> BeginTotp(HttpContext http, UserStore users, TotpService totp, ApiAccess access)
    {
        var (caller, refusal) = await access.CallerAsync(http, allowPendingEnrolment: true);
        if (caller is null) return refusal!;
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null) return Problems.Unauthenticated();
        if (user.TotpSecret is not null) return Results.Problem(statusCode: 409, type: Problems.Conflict, title: "Already enrolled", detail: "Remove the current authenticator first.");
        var enrolment = await totp.BeginEnrolmentAsync(user, http.RequestAborted);
        return Results.Ok(new TotpEnrolmentResponse(enrolment.ManualKey, enrolment.OtpAuthUri, enrolment.QrPngDataUri));
    }

    public static async Task<IResult> ConfirmTotp(MfaRequest body, HttpContext http, UserStore users, TotpService totp, SessionIssuer sessions, ApiAccess access)
    {
        var (caller, refusal) = await access.CallerAsync(http, allowPendingEnrolment: true);
        if (caller is null) return refusal!;
        var codes = await totp.ConfirmEnrolmentAsync(caller.UserId, body.Code, access.Request(http), http.RequestAborted);
        if (codes is null) return Results.Problem(statusCode: 400, type: Problems.InvalidCode, title: "Invalid code", detail: "The code does not match the authenticator being enrolled.");
        if (caller.MfaEnrolmentRequired)
        {
            // The organization's requirement is met. The session keeps its methods: enrolling is not a sign-in, so a
            // step-up still needs a fresh code.
            var user = await users.FindAsync(caller.UserId, http.RequestAborted);
            await sessions.SignInAsync(http, caller.UserId, user!.Email, caller.Amr, enrolmentRequired: false);
        }

        return Results.Ok(new RecoveryCodesResponse(codes));
    }

    public static async Task<IResult> RemoveTotp(HttpContext http, TotpService totp, SignInService signIn, ApiAccess access)
    {
        var (caller, refusal) = await access.CallerAsync(http);
        if (caller is null) return refusal!;
        if (access.RequireStepUp(http, caller) is { } stepUp) return stepUp;
        if (await signIn.OrganizationRequiresMfaAsync(caller.UserId, http.RequestAborted))
        {
            return Problems.Forbid("An organization you belong to requires MFA; the authenticator cannot be removed.");
        }

        return await totp.RemoveAsync(caller.UserId, access.Request(http), http.RequestAborted) ? Results.NoContent() : Problems.NoSuch("authenticator");
    }
}
