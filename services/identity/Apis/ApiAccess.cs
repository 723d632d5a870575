using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Events;
using Platform.Identity.Oidc;
using Platform.Identity.Sessions;

namespace Platform.Identity.Apis;

/// <summary>
/// Who is calling the /v1 API — the session cookie, or on the organization APIs an access token with the
/// <c>platform.organizations</c> scope for that organization; never both — and the step-up rule for administrative actions.
/// </summary>
internal sealed class ApiAccess(IOptions<IdentityOptions> options, TimeProvider clock, AuditTrail audit)
{
    private const string SessionCookie = "__Host-platform-session";

    public TimeSpan StepUpWindow => options.Value.Tokens.StepUpWindow;

    public RequestInfo Request(HttpContext http) => RequestInfo.From(http, options.Value.TrustedProxies);

    /// <returns>The caller (session cookie only), or the problem to answer with (not signed in; or MFA enrolment still owed to an organization).</returns>
    public async Task<(Caller? Caller, IResult? Refusal)> CallerAsync(HttpContext http, bool allowPendingEnrolment = false)
    {
        if (BearerTokenHandler.IsPresent(http.Request) && http.Request.Cookies.ContainsKey(SessionCookie)) return (null, Problems.MultipleCredentials());
        var caller = await SessionIssuer.SessionAsync(http);
        if (caller is null) return (null, Problems.Unauthenticated());
        if (caller.MfaEnrolmentRequired && !allowPendingEnrolment)
        {
            return (null, Results.Problem(statusCode: 403, type: Problems.MfaEnrolmentRequired, title: "MFA enrolment required",
                detail: "An organization you belong to requires MFA: enrol a TOTP authenticator first (POST /v1/me/mfa/totp)."));
        }

        return (caller, null);
    }

    /// <summary>
    /// The caller of an API of organization <paramref name="orgId"/>: the session cookie as <see cref="CallerAsync"/>,
    /// or a user's access token that has the <c>platform.organizations</c> scope and was issued for that organization
    /// (a token acts only where its consent was given). Refusals of a valid token are audited.
    /// </summary>
    public async Task<(Caller? Caller, IResult? Refusal)> OrganizationCallerAsync(HttpContext http, string orgId)
    {
        if (!BearerTokenHandler.IsPresent(http.Request)) return await CallerAsync(http);
        if (http.Request.Cookies.ContainsKey(SessionCookie)) return (null, Problems.MultipleCredentials());
        var result = await http.AuthenticateAsync(BearerTokenHandler.SchemeName);
        if (!result.Succeeded) return (null, Problems.InvalidToken(http));
        var principal = result.Principal;
        var subject = principal.FindFirst("sub")?.Value ?? "";
        var scopes = (principal.FindFirst("scope")?.Value ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        string? reason = null;
        IResult? refusal = null;
        if (!scopes.Contains(OidcScopes.Organizations))
        {
            (reason, refusal) = ("insufficient-scope", Problems.InsufficientScope(http, OidcScopes.Organizations));
        }
        else if (Caller.From(principal) is not { } caller)
        {
            (reason, refusal) = ("not-a-user", Problems.Forbid("These APIs act for users: a machine client has no role in an organization."));
        }
        else if (caller.OrganizationId != orgId)
        {
            (reason, refusal) = ("other-organization", Problems.Forbid("The token was issued for another organization."));
        }
        else
        {
            return (caller, null);
        }

        await audit.RecordAsync(Request(http).Audit(clock.GetUtcNow(), subject, AuditActions.AccessRefused, "failure", http.Request.Path, orgId,
            new Dictionary<string, string> { ["reason"] = reason, ["client_id"] = principal.FindFirst("client_id")?.Value ?? "" }), http.RequestAborted);
        return (null, refusal);
    }

    /// <summary>
    /// The caller of a person's own settings (<c>/v1/me/…</c> beyond the profile): the session cookie, or an access
    /// token of one of the platform's own clients (the console) that names its session (<c>sid</c>). A third-party
    /// application's token never manages its user's sessions, password or recovery codes.
    /// </summary>
    /// <returns>The caller and the handle of the session the request speaks from, or the refusal.</returns>
    public async Task<(Caller? Caller, string? Handle, IResult? Refusal)> PersonalCallerAsync(HttpContext http)
    {
        if (!BearerTokenHandler.IsPresent(http.Request))
        {
            var (caller, refusal) = await CallerAsync(http);
            if (caller is null) return (null, null, refusal);
            var sessionId = await SessionIssuer.SessionIdAsync(http);
            return (caller, sessionId is null ? null : SessionStore.Handle(sessionId), null);
        }

        if (http.Request.Cookies.ContainsKey(SessionCookie)) return (null, null, Problems.MultipleCredentials());
        var result = await http.AuthenticateAsync(BearerTokenHandler.SchemeName);
        if (!result.Succeeded) return (null, null, Problems.InvalidToken(http));
        var principal = result.Principal;
        var clientId = principal.FindFirst("client_id")?.Value;
        var handle = principal.FindFirst(SessionClaims.SessionId)?.Value;
        if (Caller.From(principal) is not { } user || handle is null || !options.Value.FirstPartyClients.Any(c => c.ClientId == clientId))
        {
            return (null, null, Problems.Forbid("Your sessions, password and recovery codes are managed from identity's pages or the platform's console only."));
        }

        return (user, handle, null);
    }

    /// <summary>Administrative actions need a second factor within the step-up window (ID-MFA).</summary>
    public IResult? RequireStepUp(HttpContext http, Caller caller) =>
        caller.HasRecentMfa(clock.GetUtcNow(), StepUpWindow) ? null : Problems.StepUp(http, StepUpWindow);
}
