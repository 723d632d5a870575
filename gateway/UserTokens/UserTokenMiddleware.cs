using System.Globalization;
using Platform.Gateway.ApiKeys;
using Platform.ServiceDefaults.Tokens;
using Yarp.ReverseProxy.Model;

namespace Platform.Gateway.UserTokens;

/// <summary>
/// Signed-in users and machine clients (SPEC GW-AUTH, ID-OIDC, ID-MFA): an access token from the identity service in
/// <c>Authorization: Bearer</c> is validated locally — signature from the JWKS (asymmetric algorithms only), issuer,
/// audience, lifetime — and its user, organization, roles and authentication go upstream in <c>X-Platform-*</c>
/// headers, as a key's principal does. Routes say what they take in their YARP metadata: <c>Roles</c> (organization
/// roles allowed; without it a route that declares a key <c>Permission</c> takes keys only) and <c>StepUp</c> (an MFA
/// within <c>StepUpMaxAge</c>, else a 401 that says so, RFC 9470).
/// </summary>
internal sealed partial class UserTokenMiddleware(RequestDelegate next, AccessTokenValidator validator, ILogger<UserTokenMiddleware> logger)
{
    /// <summary>A bearer value that has the shape of a JWS (three base64url parts) rather than an API key or an operator token.</summary>
    public static bool IsUserToken(HttpRequest request, out string token) => AccessTokenValidator.TryReadBearer(request, out token);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!validator.Settings.Enabled || context.Features.Get<KeyVerification>() is not null || !IsUserToken(context.Request, out var token))
        {
            await next(context);
            return;
        }

        var (principal, refusal) = await validator.ValidateAsync(token, context.RequestAborted);
        if (principal is null)
        {
            LogRefused(logger, refusal ?? "invalid");
            await Problem(context, 401, "invalid-token", "The access token is not valid", "The token is malformed, expired, not for this API or not signed by the identity service.",
                "Bearer error=\"invalid_token\"");
            return;
        }

        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.Metadata;
        if (metadata is not null && metadata.ContainsKey("Permission") && !metadata.ContainsKey("Roles"))
        {
            await Problem(context, 403, "api-key-required", "This route takes API keys", "Call it with an API key that has the scope it needs.", null);
            return;
        }

        if (metadata is not null && metadata.TryGetValue("Roles", out var allowed)
            && !allowed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Intersect(principal.Roles, StringComparer.Ordinal).Any())
        {
            await Problem(context, 403, "insufficient-role", "Your role does not allow this", $"This route needs one of these organization roles: {allowed}.", null);
            return;
        }

        if (metadata is not null && metadata.TryGetValue("StepUp", out var stepUp) && bool.TryParse(stepUp, out var needsStepUp) && needsStepUp
            && !validator.HasRecentMfa(principal))
        {
            await Problem(context, 401, "step-up-required", "Confirm it is you",
                $"This action needs a multi-factor sign-in within the last {(int)validator.Settings.StepUpMaxAge.TotalMinutes} minutes. Sign in again with your second factor.",
                validator.StepUpChallenge);
            return;
        }

        var (user, organization) = (principal.Subject, principal.OrganizationId);
        context.Items["platform.organization"] = organization;
        context.Items["platform.actor"] = user;
        context.Features.Set(new UserPrincipal(user, organization, principal.Roles));
        var headers = context.Request.Headers;
        headers["X-Platform-User"] = user;
        if (organization is not null) headers["X-Platform-Organization"] = organization;
        headers["X-Platform-Roles"] = string.Join(' ', principal.Roles);
        headers["X-Platform-Amr"] = string.Join(' ', principal.Methods);
        if (principal.AuthTime is { } authTime) headers["X-Platform-Auth-Time"] = authTime.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await next(context);
    }

    private static Task Problem(HttpContext context, int status, string type, string title, string detail, string? challenge)
    {
        context.Response.StatusCode = status;
        if (challenge is not null) context.Response.Headers.WWWAuthenticate = challenge;
        return Results.Problem(statusCode: status, type: ApiKeyMiddleware.ProblemBase + type, title: title, detail: detail).ExecuteAsync(context);
    }

    [LoggerMessage(EventId = 4303, Level = LogLevel.Information, Message = "An access token was refused ({Reason})")]
    private static partial void LogRefused(ILogger logger, string reason);
}

/// <summary>The user (or machine client) a validated access token names.</summary>
internal sealed record UserPrincipal(string Subject, string? OrganizationId, IReadOnlyList<string> Roles);
