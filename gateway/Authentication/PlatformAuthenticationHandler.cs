using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Problems;
using Platform.Security.Tokens;

namespace Platform.Gateway.Authentication;

/// <summary>
/// The gateway's one authentication scheme (SPEC GW-AUTH): it verifies the request's single credential (see
/// <see cref="Credential"/>; two are refused before this runs) and makes it <c>HttpContext.User</c>:
/// <list type="bullet">
/// <item>an API key (<c>X-Api-Key</c> or <c>Authorization: Bearer sk_…</c>) at the keys service, cached; the key is
/// taken out of the request, so no upstream ever sees it;</item>
/// <item>an access token from the identity service, validated locally from its JWKS; it stays in the request, for
/// services that check it again.</item>
/// </list>
/// A session cookie or Basic client credentials are the identity service's to check: no principal here. A refused
/// credential is a 401 problem (one answer whatever the reason), written by the challenge.
/// </summary>
internal sealed partial class PlatformAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory loggers, UrlEncoder encoder,
    ApiKeyVerifier keys, AccessTokenValidator tokens, KeyUsageRecorder usage)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, loggers, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var credential = Context.Features.Get<Credential>() ?? Credential.None;
        return credential.Kind switch
        {
            CredentialKind.ApiKey => await KeyAsync(credential.Value),
            CredentialKind.AccessToken => await TokenAsync(credential.Value!),
            _ => AuthenticateResult.NoResult(),
        };
    }

    private async Task<AuthenticateResult> KeyAsync(string? key)
    {
        var headers = Request.Headers;
        headers.Remove("X-Api-Key");
        if (headers.Authorization.Count > 0) headers.Remove("Authorization");

        KeyVerification verification;
        try
        {
            verification = await keys.VerifyAsync(key ?? "", Context.RequestAborted);
        }
        catch (HttpRequestException e)
        {
            LogVerifierUnavailable(Logger, e.GetType().Name);
            return AuthenticateResult.Fail(Refusal.VerificationUnavailable);
        }

        // One answer for every reason: a caller learns nothing about which keys exist.
        if (!verification.Valid) return AuthenticateResult.Fail(Refusal.InvalidKey);
        usage.Record(verification.KeyId!);
        return Success(PlatformPrincipal.OfKey(verification));
    }

    private async Task<AuthenticateResult> TokenAsync(string token)
    {
        if (!tokens.Settings.Enabled) return AuthenticateResult.Fail(Refusal.InvalidToken);
        var (principal, refusal) = await tokens.ValidateAsync(token, Context.RequestAborted);
        if (principal is null)
        {
            LogTokenRefused(Logger, refusal ?? "invalid");
            return AuthenticateResult.Fail(Refusal.InvalidToken);
        }

        return Success(PlatformPrincipal.OfToken(principal, Scopes(token)));
    }

    /// <summary>The token's <c>scope</c> claim (RFC 9068: space-separated), read from the payload that was just validated.</summary>
    private static string[] Scopes(string token) =>
        new JsonWebToken(token).TryGetPayloadValue<string>("scope", out var scope) && scope is not null
            ? scope.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : [];

    private AuthenticateResult Success(PlatformPrincipal principal) => AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));

    /// <summary>The refusal of the credential that failed, as a problem; a request without one gets the route's own answer.</summary>
    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var refusal = result.Failure as Refusal ?? Refusal.InvalidToken;
        if (refusal.Challenge is { } challenge) Response.Headers.WWWAuthenticate = challenge;
        await EdgeProblem.WriteAsync(Context, refusal.Status, refusal.Type, refusal.Title, refusal.Detail);
    }

    [LoggerMessage(EventId = 4004, Level = LogLevel.Error, Message = "The keys service could not be reached to verify a key ({ErrorType})")]
    private static partial void LogVerifierUnavailable(ILogger logger, string errorType);

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "An access token was refused ({Reason})")]
    private static partial void LogTokenRefused(ILogger logger, string reason);
}

/// <summary>Why a credential was refused, as the problem the client gets. Never says which check failed.</summary>
internal sealed class Refusal(int status, string type, string title, string detail, string? challenge) : Exception("The credential was refused.")
{
    public static readonly Refusal InvalidKey = new(401, "invalid-api-key", "The API key is not valid", "The key is malformed, unknown, expired or revoked.", "Bearer");

    public static readonly Refusal InvalidToken = new(401, "invalid-token", "The access token is not valid",
        "The token is malformed, expired, not for this API or not signed by the identity service.", "Bearer error=\"invalid_token\"");

    public static readonly Refusal VerificationUnavailable = new(503, "verification-unavailable", "Keys cannot be verified right now", "Try again shortly.", null);

    public int Status => status;

    public string Type => type;

    public string Title => title;

    public string Detail => detail;

    public string? Challenge => challenge;
}
