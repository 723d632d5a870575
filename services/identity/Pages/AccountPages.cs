using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Mvc;
using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Mfa;
using Platform.Identity.Organizations;
using Platform.Identity.Sessions;
using static Platform.Identity.Pages.Html;

namespace Platform.Identity.Pages;

/// <summary>Sign-up, verification, sign-in, MFA challenge and enrolment, password reset, the account page (ID-UI).</summary>
internal static class AccountPages
{
    public static IEndpointRouteBuilder MapAccountPages(this IEndpointRouteBuilder app)
    {
        app.MapGet("/", () => Results.Redirect("/account"));
        app.MapGet("/signup", (HttpContext http, IAntiforgery af) => SignUpPage(http, af, null));
        app.MapPost("/signup", SignUp);
        app.MapGet("/verify-email", (HttpContext http, IAntiforgery af) => VerifyPage(http, af, null));
        app.MapPost("/verify-email", Verify);
        app.MapGet("/signin", (HttpContext http, IAntiforgery af, string? returnUrl) => SignInPage(http, af, returnUrl, null));
        app.MapPost("/signin", SignIn);
        app.MapGet("/mfa", (HttpContext http, IAntiforgery af, string? returnUrl) => MfaPage(http, af, returnUrl, null));
        app.MapPost("/mfa", Mfa);
        app.MapGet("/mfa/enrol", EnrolPage);
        app.MapPost("/mfa/enrol", Enrol);
        app.MapGet("/password/forgot", (HttpContext http, IAntiforgery af) => ForgotPage(http, af));
        app.MapPost("/password/forgot", Forgot);
        app.MapGet("/password/reset", (HttpContext http, IAntiforgery af) => ResetPage(http, af, null));
        app.MapPost("/password/reset", Reset);
        app.MapGet("/account", Account);
        app.MapPost("/account/organizations", CreateOrganization);
        app.MapPost("/signout", (Delegate)SignOut);
        return app;
    }

    private static IResult SignUpPage(HttpContext http, IAntiforgery af, string? error, int status = 200) => Page(http, "Create an account",
        Error(error) + Form(http, af, "/signup",
            Input("email", "Email", "email", autocomplete: "username") + Input("password", "Password (at least 12 characters)", "password", autocomplete: "new-password"),
            "Create account") + """<p><a href="/signin">Sign in</a></p>""", status);

    private static async Task<IResult> SignUp(HttpContext http, IAntiforgery af, [FromForm] string? email, [FromForm] string? password, AccountService accounts, Throttle throttle, IOptions<IdentityOptions> options)
    {
        var request = RequestInfo.From(http, options.Value.TrustedProxies);
        if (await throttle.TryAcquireAsync(request.Ip, http.RequestAborted) is not null) return SignUpPage(http, af, "Too many attempts from this address; try again in a minute.", 429);
        if (await accounts.SignUpAsync(email, password, request, http.RequestAborted) is { } refusal) return SignUpPage(http, af, refusal.Reason, 400);
        return Page(http, "Check your email", """<p>We sent a verification code to your address. <a href="/verify-email">Enter the code</a>.</p>""");
    }

    private static IResult VerifyPage(HttpContext http, IAntiforgery af, string? error, int status = 200) => Page(http, "Verify your email",
        Error(error) + Form(http, af, "/verify-email", Input("token", "Code from the email"), "Verify"), status);

    private static async Task<IResult> Verify(HttpContext http, IAntiforgery af, [FromForm] string? token, AccountService accounts, IOptions<IdentityOptions> options) =>
        await accounts.VerifyEmailAsync(token?.Trim(), RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted)
            ? Page(http, "Email verified", """<p>Your address is verified. <a href="/signin">Sign in</a>.</p>""")
            : VerifyPage(http, af, "The code is invalid, used or expired.", 400);

    private static IResult SignInPage(HttpContext http, IAntiforgery af, string? returnUrl, string? error, int status = 200, bool breakGlass = false) => Page(http,
        breakGlass ? "Owner break-glass sign-in" : "Sign in",
        Error(error) + (breakGlass
            ? "<p>For Owners of an organization that requires single sign-on, when its identity provider is unavailable: your password, then your authenticator code. Audited.</p>"
            : "<p>Leave the password empty if your organization signs you in through its identity provider.</p>")
        + Form(http, af, "/signin",
            Input("email", "Email", "email", autocomplete: "username")
            + Input("password", "Password", "password", autocomplete: "current-password").Replace(" required", "", StringComparison.Ordinal)
            + (breakGlass ? "<input type=\"hidden\" name=\"breakGlass\" value=\"true\">" : ""),
            "Sign in", PageLinks.Safe(returnUrl, "/account"))
        + """<p><a href="/password/forgot">Forgot your password?</a> · <a href="/signup">Create an account</a></p>""", status);

    public static IResult BreakGlassPage(HttpContext http, IAntiforgery af, string? returnUrl) => SignInPage(http, af, returnUrl, null, breakGlass: true);

    private static async Task<IResult> SignIn(HttpContext http, IAntiforgery af, [FromForm] string? email, [FromForm] string? password, [FromForm] string? returnUrl,
        [FromForm] string? breakGlass, SignInService signIn, SessionIssuer sessions, Sso.SsoFederation federation, IOptions<IdentityOptions> options)
    {
        var isBreakGlass = breakGlass == "true";
        // Home-realm discovery: an address whose domain an organization verified for single sign-on goes to its IdP.
        if (string.IsNullOrEmpty(password) && !isBreakGlass)
        {
            return await federation.ConnectionForEmailAsync(email, http.RequestAborted) is { } connection
                ? await Sso.SsoPages.StartAsync(http, federation, connection, email, returnUrl, options.Value)
                : SignInPage(http, af, returnUrl, "Enter your password: this address does not sign in through an identity provider.", 400);
        }

        var result = await signIn.PasswordSignInAsync(email, password, RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted, isBreakGlass);
        switch (result.Status)
        {
            case SignInStatus.SsoRequired: return SignInPage(http, af, returnUrl,
                "Your organization requires single sign-on for this address: leave the password empty to continue with your identity provider.", 403, isBreakGlass);
            case SignInStatus.Throttled: return SignInPage(http, af, returnUrl, "Too many attempts from this address; try again in a minute.", 429);
            case SignInStatus.Failed: return SignInPage(http, af, returnUrl, "The email or password is incorrect, or the account is temporarily locked.", 401);
            case SignInStatus.EmailNotVerified: return VerifyPage(http, af, "Verify your email address first: enter the code we sent you.", 403);
        }

        var user = result.User!;
        if (result.HasTotp)
        {
            await sessions.MfaPendingAsync(http, user.Id, user.SessionGeneration);
            return Results.Redirect(PageLinks.WithReturn("/mfa", returnUrl));
        }

        await sessions.SignInAsync(http, user.Id, user.Email, ["pwd"], result.MfaEnrolmentRequired, user.SessionGeneration);
        return Results.Redirect(result.MfaEnrolmentRequired ? PageLinks.WithReturn("/mfa/enrol", returnUrl) : PageLinks.Safe(returnUrl));
    }

    private static IResult MfaPage(HttpContext http, IAntiforgery af, string? returnUrl, string? error, int status = 200) => Page(http, "Two-step verification",
        Error(error) + "<p>Enter the 6-digit code from your authenticator app, or one of your recovery codes.</p>"
        + Form(http, af, "/mfa",
            Input("code", "Authenticator code", autocomplete: "one-time-code").Replace(" required", "", StringComparison.Ordinal)
            + Input("recoveryCode", "Or a recovery code").Replace(" required", "", StringComparison.Ordinal),
            "Verify", PageLinks.Safe(returnUrl)), status);

    private static async Task<IResult> Mfa(HttpContext http, IAntiforgery af, [FromForm] string? code, [FromForm] string? recoveryCode, [FromForm] string? returnUrl,
        UserStore users, TotpService totp, SessionIssuer sessions, IOptions<IdentityOptions> options)
    {
        var pending = await SessionIssuer.PendingUserAsync(http);
        var userId = pending ?? (await SessionIssuer.SessionAsync(http))?.UserId;
        if (userId is null) return Results.Redirect(PageLinks.WithReturn("/signin", returnUrl));
        var user = await users.FindAsync(userId, http.RequestAborted);
        if (user?.TotpSecret is null) return Results.Redirect(PageLinks.WithReturn("/mfa/enrol", returnUrl));
        var result = await totp.VerifyAsync(user, string.IsNullOrWhiteSpace(code) ? null : code.Trim(), string.IsNullOrWhiteSpace(recoveryCode) ? null : recoveryCode.Trim(),
            pending is null ? MfaPurpose.StepUp : MfaPurpose.SignIn, RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        var check = result.Check;
        if (check is MfaCheck.Locked or MfaCheck.Throttled)
        {
            var minutes = Math.Max(1, (int)Math.Ceiling((result.RetryAfter ?? TimeSpan.FromMinutes(1)).TotalMinutes));
            return Page(http, "Too many wrong codes", $"""<p class="error" role="alert" id="mfa-locked">Too many wrong codes. Try again in {minutes} minute(s).</p>""", 429);
        }

        if (check is MfaCheck.Failed) return MfaPage(http, af, returnUrl, "The code is wrong or already used; wait for the next code.", 401);
        await sessions.SignInAsync(http, user.Id, user.Email, check == MfaCheck.Passed ? ["pwd", "otp", "mfa"] : ["pwd", "mfa"], enrolmentRequired: false, user.SessionGeneration);
        return Results.Redirect(PageLinks.Safe(returnUrl));
    }

    private static async Task<IResult> EnrolPage(HttpContext http, IAntiforgery af, string? returnUrl, UserStore users, TotpService totp)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", "/mfa/enrol"));
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null) return Results.Redirect("/signin");
        if (user.TotpSecret is not null) return Page(http, "Authenticator", """<p>An authenticator is already enrolled. <a href="/account">Back</a></p>""");
        var enrolment = await totp.BeginEnrolmentAsync(user, http.RequestAborted);
        var required = caller.MfaEnrolmentRequired ? "<p>Your organization requires two-step verification. Set it up to continue.</p>" : "";
        return Page(http, "Set up two-step verification", required + $"""
            <p>Scan this code with an authenticator app (RFC 6238 TOTP), or type the key by hand.</p>
            <p><img alt="QR code for your authenticator" src="{E(enrolment.QrPngDataUri)}" width="250" height="250"></p>
            <p>Key: <code id="manual-key">{E(enrolment.ManualKey)}</code></p>
            """ + Form(http, af, "/mfa/enrol", Input("code", "Code shown by the app", autocomplete: "one-time-code"), "Turn on", PageLinks.Safe(returnUrl)));
    }

    private static async Task<IResult> Enrol(HttpContext http, IAntiforgery af, [FromForm] string? code, [FromForm] string? returnUrl,
        UserStore users, TotpService totp, SessionIssuer sessions, IOptions<IdentityOptions> options)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect("/signin");
        var codes = await totp.ConfirmEnrolmentAsync(caller.UserId, code?.Trim(), RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        if (codes is null) return Page(http, "Set up two-step verification", Error("The code does not match; scan the QR code again.") + """<p><a href="/mfa/enrol">Try again</a></p>""", 400);
        if (caller.MfaEnrolmentRequired)
        {
            // The organization's requirement is met; the session itself stays a password session (enrolment is not a sign-in).
            var user = await users.FindAsync(caller.UserId, http.RequestAborted);
            await sessions.SignInAsync(http, caller.UserId, user!.Email, caller.Amr, enrolmentRequired: false);
        }

        var list = string.Concat(codes.Select(c => $"<li><code class=\"recovery-code\">{E(c)}</code></li>"));
        return Page(http, "Two-step verification is on", $"""
            <p>Keep these recovery codes somewhere safe. Each works once, if you lose your authenticator. They are not shown again.</p>
            <ul>{list}</ul>
            <p><a id="continue" href="{E(PageLinks.Safe(returnUrl))}">Continue</a></p>
            """);
    }

    private static IResult ForgotPage(HttpContext http, IAntiforgery af) => Page(http, "Reset your password",
        Form(http, af, "/password/forgot", Input("email", "Email", "email", autocomplete: "username"), "Send reset code"));

    private static async Task<IResult> Forgot(HttpContext http, [FromForm] string? email, AccountService accounts, Throttle throttle, IOptions<IdentityOptions> options)
    {
        if (await throttle.TryAcquireAsync(RequestInfo.From(http, options.Value.TrustedProxies).Ip, http.RequestAborted) is null && email is { Length: <= 254 })
        {
            await accounts.RequestPasswordResetAsync(email, http.RequestAborted);
        }

        return Page(http, "Check your email", """<p>If the address has an account, we sent it a reset code. <a href="/password/reset">Enter the code</a>.</p>""");
    }

    private static IResult ResetPage(HttpContext http, IAntiforgery af, string? error, int status = 200) => Page(http, "Choose a new password",
        Error(error) + Form(http, af, "/password/reset",
            Input("token", "Code from the email") + Input("password", "New password (at least 12 characters)", "password", autocomplete: "new-password"), "Set password"), status);

    private static async Task<IResult> Reset(HttpContext http, IAntiforgery af, [FromForm] string? token, [FromForm] string? password, AccountService accounts, Throttle throttle,
        IOptions<IdentityOptions> options)
    {
        // Before the new password is hashed (Argon2id).
        var request = RequestInfo.From(http, options.Value.TrustedProxies);
        if (await throttle.TryAcquireAsync(request.Ip, http.RequestAborted) is not null) return ResetPage(http, af, "Too many attempts from this address; try again in a minute.", 429);
        return await accounts.ResetPasswordAsync(token?.Trim(), password, request, http.RequestAborted) is { } refusal
            ? ResetPage(http, af, refusal.Reason, 400)
            : Page(http, "Password changed", """<p>Your password is changed. <a href="/signin">Sign in</a>.</p>""");
    }

    private static async Task<IResult> Account(HttpContext http, IAntiforgery af, UserStore users, OrganizationService organizations)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return Results.Redirect(PageLinks.WithReturn("/signin", "/account"));
        if (caller.MfaEnrolmentRequired) return Results.Redirect("/mfa/enrol");
        var user = await users.FindAsync(caller.UserId, http.RequestAborted);
        if (user is null) return Results.Redirect("/signin");
        var orgs = await organizations.ListForUserAsync(user.Id, http.RequestAborted);
        var list = string.Concat(orgs.Select(o =>
            $"<li><span class=\"org\" data-id=\"{E(o.Id)}\">{E(o.Name)}</span> ({E(o.Role)})"
            + (Model.OrgRoles.Administers(o.Role) ? $" · <a href=\"/admin/clients/new?org={E(o.Id)}\">New OAuth client</a>" : "") + "</li>"));
        var mfa = user.TotpSecret is null ? """<a id="enrol" href="/mfa/enrol">Set up two-step verification</a>""" : "Two-step verification is on.";
        return Page(http, "Your account", $"""
            <p>Signed in as <strong id="email">{E(user.Email)}</strong> (<span id="amr">{E(string.Join(" ", caller.Amr))}</span>).</p>
            <p>{mfa}</p>
            <h2>Organizations</h2><ul id="organizations">{list}</ul>
            <p><a id="accept-invitation" href="/invitations/accept">Accept an invitation</a></p>
            """ + Form(http, af, "/account/organizations", Input("name", "New organization name"), "Create organization")
            + Form(http, af, "/signout", "", "Sign out"));
    }

    private static async Task<IResult> CreateOrganization(HttpContext http, [FromForm] string? name, OrganizationService organizations, IOptions<IdentityOptions> options)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null || caller.MfaEnrolmentRequired) return Results.Redirect("/signin");
        if (name is { Length: > 0 and <= 100 } && !string.IsNullOrWhiteSpace(name) && !name.Any(char.IsControl))
        {
            await organizations.CreateAsync(caller.UserId, name.Trim(), RequestInfo.From(http, options.Value.TrustedProxies), http.RequestAborted);
        }

        return Results.Redirect("/account");
    }

    private static async Task<IResult> SignOut(HttpContext http, SessionIssuer sessions)
    {
        await sessions.SignOutAsync(http);
        return Results.Redirect("/signin");
    }
}
