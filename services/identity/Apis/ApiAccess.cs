using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Sessions;

namespace Platform.Identity.Apis;

/// <summary>Who is calling the /v1 API (the session cookie), and the step-up rule for administrative actions.</summary>
internal sealed class ApiAccess(IOptions<IdentityOptions> options, TimeProvider clock)
{
    public TimeSpan StepUpWindow => options.Value.Tokens.StepUpWindow;

    public RequestInfo Request(HttpContext http) => RequestInfo.From(http, options.Value.TrustedProxies);

    /// <returns>The caller, or the problem to answer with (not signed in; or MFA enrolment still owed to an organization).</returns>
    public async Task<(Caller? Caller, IResult? Refusal)> CallerAsync(HttpContext http, bool allowPendingEnrolment = false)
    {
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return (null, Problems.Unauthenticated());
        if (caller.MfaEnrolmentRequired && !allowPendingEnrolment)
        {
            return (null, Results.Problem(statusCode: 403, type: Problems.MfaEnrolmentRequired, title: "MFA enrolment required",
                detail: "An organization you belong to requires MFA: enrol a TOTP authenticator first (POST /v1/me/mfa/totp)."));
        }

        return (caller, null);
    }

    /// <summary>Administrative actions need a second factor within the step-up window (ID-MFA).</summary>
    public IResult? RequireStepUp(HttpContext http, Caller caller) =>
        caller.HasRecentMfa(clock.GetUtcNow(), StepUpWindow) ? null : Problems.StepUp(http, StepUpWindow);
}
