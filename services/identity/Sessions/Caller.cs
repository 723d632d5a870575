using System.Globalization;
using System.Security.Claims;

namespace Platform.Identity.Sessions;

/// <summary>
/// Who is calling, from the session cookie or from an access token: the user, how and when they last authenticated
/// (<c>amr</c>, RFC 8176; <c>auth_time</c>, OIDC Core section 2) and, for tokens, the organization.
/// </summary>
internal sealed record Caller(string UserId, IReadOnlyList<string> Amr, DateTimeOffset AuthTime, bool MfaEnrolmentRequired, string? OrganizationId)
{
    public static Caller? From(ClaimsPrincipal principal)
    {
        var subject = principal.FindFirst(SessionClaims.Subject)?.Value;
        if (subject is null || !subject.StartsWith("usr_", StringComparison.Ordinal)) return null;
        var amr = principal.FindAll(SessionClaims.Amr).Select(c => c.Value).ToList();
        var authTime = long.TryParse(principal.FindFirst(SessionClaims.AuthTime)?.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds)
            : DateTimeOffset.MinValue;
        return new Caller(subject, amr, authTime, principal.HasClaim(SessionClaims.MfaEnrolmentRequired, "true"), principal.FindFirst(SessionClaims.OrganizationId)?.Value);
    }

    /// <summary>Step-up (ID-MFA): a second factor was part of an authentication within the window.</summary>
    public bool HasRecentMfa(DateTimeOffset now, TimeSpan window) => Amr.Contains("mfa") && now - AuthTime <= window && AuthTime <= now.AddMinutes(1);
}

internal static class SessionClaims
{
    public const string Subject = "sub";
    public const string Email = "email";
    public const string Amr = "amr";
    public const string AuthTime = "auth_time";
    public const string OrganizationId = "org_id";
    public const string Roles = "roles";
    public const string MfaEnrolmentRequired = "mfa_enrolment_required";
    public const string PasswordTime = "pwd_time";
    public const string SessionGeneration = "sgen";
    public const string SessionId = "sid";
}
