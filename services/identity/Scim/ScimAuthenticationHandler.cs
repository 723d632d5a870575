using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Platform.Identity.Scim;

/// <summary>
/// The SCIM routes' scheme: <c>Authorization: Bearer scim_…</c>, looked up by its SHA-256. The principal is the
/// token's organization (claim <see cref="OrganizationClaim"/>); every SCIM query is bound to it, so a token of
/// organization A reaches only A's users and groups. Anything else is 401 with a SCIM error body (RFC 7644 section 3.12).
/// </summary>
internal sealed partial class ScimAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> schemes, ILoggerFactory loggers, UrlEncoder encoder, ScimTokens tokens)
    : AuthenticationHandler<AuthenticationSchemeOptions>(schemes, loggers, encoder)
{
    public const string SchemeName = "Scim";
    public const string PolicyName = "scim";
    public const string OrganizationClaim = "scim:org";
    public const string HintClaim = "scim:hint";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization;
        if (header.Count == 0) return AuthenticateResult.NoResult();
        if (header.Count > 1) return AuthenticateResult.Fail("more than one Authorization header");
        var value = header.ToString();
        if (!value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return AuthenticateResult.Fail("not a bearer token");
        var token = value["Bearer ".Length..].Trim();
        if (!ScimTokens.LooksLikeToken(token)) return AuthenticateResult.Fail("malformed token");
        if (await tokens.FindAsync(token, Context.RequestAborted) is not { } found)
        {
            LogRefused(Logger, ScimTokens.HintOf(token));
            return AuthenticateResult.Fail("unknown token");
        }

        var identity = new ClaimsIdentity(
            [new Claim(OrganizationClaim, found.OrgId), new Claim(HintClaim, found.Hint), new Claim(ClaimTypes.Name, "scim:" + found.Hint)], SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = 401;
        Response.Headers.WWWAuthenticate = "Bearer realm=\"scim\", error=\"invalid_token\"";
        await ScimResults.WriteAsync(Context, 401,
            new ScimError(401, null, "Send the organization's SCIM token as 'Authorization: Bearer scim_…'; this one is missing, malformed, rotated out or revoked.").ToJson());
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        await ScimResults.WriteAsync(Context, 403, ScimError.Forbidden("Not allowed.").ToJson());

    [LoggerMessage(EventId = 3401, Level = LogLevel.Information, Message = "SCIM token {Hint}… refused: not issued, rotated out or revoked")]
    private static partial void LogRefused(ILogger logger, string hint);
}
