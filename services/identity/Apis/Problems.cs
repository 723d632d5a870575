namespace Platform.Identity.Apis;

/// <summary>Stable problem types of this API (RFC 9457 section 3.1.1).</summary>
internal static class Problems
{
    public const string UnauthenticatedType = "https://platform.dev/problems/unauthenticated";
    public const string Forbidden = "https://platform.dev/problems/forbidden";
    public const string InvalidRequest = "https://platform.dev/problems/invalid-request";
    public const string NotFound = "https://platform.dev/problems/not-found";
    public const string InvalidCredentials = "https://platform.dev/problems/invalid-credentials";
    public const string EmailNotVerified = "https://platform.dev/problems/email-not-verified";
    public const string ThrottledType = "https://platform.dev/problems/too-many-attempts";
    public const string StepUpRequired = "https://platform.dev/problems/step-up-required";
    public const string MfaEnrolmentRequired = "https://platform.dev/problems/mfa-enrolment-required";
    public const string LastOwner = "https://platform.dev/problems/last-owner";
    public const string Conflict = "https://platform.dev/problems/conflict";
    public const string InvalidCode = "https://platform.dev/problems/invalid-code";
    public const string MfaLockedType = "https://platform.dev/problems/mfa-locked";
    public const string MultipleCredentialsType = "https://platform.dev/problems/multiple-credentials";
    public const string InvalidTokenType = "https://platform.dev/problems/invalid-token";
    public const string InsufficientScopeType = "https://platform.dev/problems/insufficient-scope";
    public const string SsoRequired = "https://platform.dev/problems/sso-required";

    public static IResult Invalid(string field, string detail) => Results.Problem(statusCode: 400, type: InvalidRequest, title: "The request is invalid",
        detail: detail, extensions: new Dictionary<string, object?> { ["errors"] = new Dictionary<string, string[]> { [field] = [detail] } });

    public static IResult Unauthenticated(string detail = "Sign in first.") => Results.Problem(statusCode: 401, type: UnauthenticatedType, title: "Authentication required", detail: detail);

    public static IResult MultipleCredentials() => Results.Problem(statusCode: 400, type: MultipleCredentialsType, title: "More than one credential",
        detail: "Send one credential: the session cookie or an access token, not both.");

    public static IResult InvalidToken(HttpContext http)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
        return Results.Problem(statusCode: 401, type: InvalidTokenType, title: "The access token is not valid",
            detail: "The token is malformed, expired, not for this API or not signed by the identity service.");
    }

    /// <summary>RFC 6750 section 3.1.</summary>
    public static IResult InsufficientScope(HttpContext http, string scope)
    {
        http.Response.Headers.WWWAuthenticate = $"Bearer error=\"insufficient_scope\", scope=\"{scope}\"";
        return Results.Problem(statusCode: 403, type: InsufficientScopeType, title: "Insufficient scope", detail: $"This API needs a token with the scope {scope}.");
    }

    public static IResult Forbid(string detail) => Results.Problem(statusCode: 403, type: Forbidden, title: "Not allowed", detail: detail);

    public static IResult NoSuch(string what) => Results.Problem(statusCode: 404, type: NotFound, title: "Not found", detail: $"No such {what}.");

    public static IResult Throttled(HttpContext http, TimeSpan retryAfter)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Results.Problem(statusCode: 429, type: ThrottledType, title: "Too many attempts", detail: "Too many attempts from this address; try again later.");
    }

    /// <summary>Too many wrong second factors (for the account, or from the address): nothing is checked until the wait is over.</summary>
    public static IResult MfaRefused(HttpContext http, Mfa.MfaResult result)
    {
        http.Response.Headers.RetryAfter = Math.Max(1, (int)Math.Ceiling((result.RetryAfter ?? TimeSpan.FromMinutes(1)).TotalSeconds)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return result.Check == Mfa.MfaCheck.Throttled
            ? Results.Problem(statusCode: 429, type: ThrottledType, title: "Too many attempts", detail: "Too many wrong codes from this address; try again later.")
            : Results.Problem(statusCode: 429, type: MfaLockedType, title: "Second factor locked",
                detail: "Too many wrong codes: two-step verification of this account is locked for a while. Try again later.");
    }

    /// <summary>RFC 9470 section 3: the caller must authenticate again with a second factor.</summary>
    public static IResult StepUp(HttpContext http, TimeSpan window)
    {
        http.Response.Headers.WWWAuthenticate =
            $"Bearer error=\"insufficient_user_authentication\", error_description=\"A second factor within the last {window.TotalMinutes:0} minutes is required\", max_age={(int)window.TotalSeconds}";
        return Results.Problem(statusCode: 401, type: StepUpRequired, title: "Step-up authentication required",
            detail: $"This action needs a second factor (TOTP or a recovery code) within the last {window.TotalMinutes:0} minutes: POST /v1/session/mfa, then retry.");
    }
}
