using Platform.ServiceDefaults.Tokens;

namespace Platform.Keys.Apis;

/// <summary>
/// <c>Keys:Identity</c>: where identity's access tokens come from. With it, an organization's Owners and Admins manage
/// its keys and network policy with their own tokens (SPEC ID-ORG, ID-MFA), checked here again rather than trusted
/// from the gateway's headers.
/// </summary>
internal sealed class KeysIdentityOptions : AccessTokenOptions
{
    public const string SectionName = "Keys:Identity";
}

/// <summary>A caller whose identity access token was valid; what it may do is decided by <see cref="Administrators.Admit"/>.</summary>
internal sealed record SignedInUser(AccessTokenPrincipal Principal);

/// <summary>
/// Validates a JWS-shaped bearer credential before the endpoints run. Operator and service tokens are not JWS-shaped
/// and pass untouched; an access token that fails validation is a 401 here, whatever the endpoint.
/// </summary>
internal sealed partial class SignedInUserMiddleware(RequestDelegate next, AccessTokenValidator validator, ILogger<SignedInUserMiddleware> logger)
{
    public async Task InvokeAsync(HttpContext context)
    {
        if (validator.Settings.Enabled && AccessTokenValidator.TryReadBearer(context.Request, out var token))
        {
            var (principal, refusal) = await validator.ValidateAsync(token, context.RequestAborted);
            if (principal is null)
            {
                LogRefused(logger, refusal ?? "invalid");
                context.Response.Headers.WWWAuthenticate = "Bearer error=\"invalid_token\"";
                await TypedResults.Problem(statusCode: 401, type: Problems.InvalidToken, title: "The access token is not valid",
                    detail: "The token is malformed, expired, not for this API or not signed by the identity service.").ExecuteAsync(context);
                return;
            }

            context.Features.Set(new SignedInUser(principal));
        }

        await next(context);
    }

    [LoggerMessage(EventId = 2301, Level = LogLevel.Information, Message = "An access token was refused ({Reason})")]
    private static partial void LogRefused(ILogger logger, string reason);
}
