using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Platform.Gateway.ApiKeys;
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
internal sealed partial class UserTokenMiddleware(
    RequestDelegate next, SigningKeys signingKeys, IOptions<UserTokenOptions> options, TimeProvider time, ILogger<UserTokenMiddleware> logger)
{
    private static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384];
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };
    private readonly UserTokenOptions settings = options.Value;

    /// <summary>A bearer value that has the shape of a JWS (three base64url parts) rather than an API key or an operator token.</summary>
    public static bool IsUserToken(HttpRequest request, out string token)
    {
        token = "";
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var candidate = value["Bearer ".Length..].Trim();
        if (candidate.Length is < 20 or > 16_384 || candidate.Count(c => c == '.') != 2 || !candidate.StartsWith("eyJ", StringComparison.Ordinal)) return false;
        token = candidate;
        return true;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        if (!settings.Enabled || context.Features.Get<KeyVerification>() is not null || !IsUserToken(context.Request, out var token))
        {
            await next(context);
            return;
        }

        var result = await ValidateAsync(token, context.RequestAborted);
        if (!result.IsValid)
        {
            LogRefused(logger, result.Exception?.GetType().Name ?? "invalid");
            await Problem(context, 401, "invalid-token", "The access token is not valid", "The token is malformed, expired, not for this API or not signed by the identity service.",
                "Bearer error=\"invalid_token\"");
            return;
        }

        var claims = result.Claims;
        var user = claims.TryGetValue("sub", out var sub) ? sub as string : null;
        var organization = claims.TryGetValue("org_id", out var org) ? org as string : null;
        var roles = Strings(claims, "roles");
        var methods = Strings(claims, "amr");
        var authTime = claims.TryGetValue("auth_time", out var at) && long.TryParse(Convert.ToString(at, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
        if (string.IsNullOrEmpty(user) || user.Length > 128 || organization is { Length: > 128 })
        {
            await Problem(context, 401, "invalid-token", "The access token is not valid", "The token names no subject.", "Bearer error=\"invalid_token\"");
            return;
        }

        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.Metadata;
        if (metadata is not null && metadata.ContainsKey("Permission") && !metadata.ContainsKey("Roles"))
        {
            await Problem(context, 403, "api-key-required", "This route takes API keys", "Call it with an API key that has the scope it needs.", null);
            return;
        }

        if (metadata is not null && metadata.TryGetValue("Roles", out var allowed)
            && !allowed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Intersect(roles, StringComparer.Ordinal).Any())
        {
            await Problem(context, 403, "insufficient-role", "Your role does not allow this", $"This route needs one of these organization roles: {allowed}.", null);
            return;
        }

        if (metadata is not null && metadata.TryGetValue("StepUp", out var stepUp) && bool.TryParse(stepUp, out var needsStepUp) && needsStepUp
            && !(methods.Contains("mfa") && authTime is { } authenticated && time.GetUtcNow() - authenticated <= settings.StepUpMaxAge))
        {
            var maxAge = (int)settings.StepUpMaxAge.TotalSeconds;
            await Problem(context, 401, "step-up-required", "Confirm it is you",
                $"This action needs a multi-factor sign-in within the last {maxAge / 60} minutes. Sign in again with your second factor.",
                $"Bearer error=\"insufficient_user_authentication\", error_description=\"A recent multi-factor authentication is required\", acr_values=\"mfa\", max_age={maxAge}");
            return;
        }

        context.Items["platform.organization"] = organization;
        context.Items["platform.actor"] = user;
        context.Features.Set(new UserPrincipal(user, organization, roles));
        var headers = context.Request.Headers;
        headers["X-Platform-User"] = user;
        if (organization is not null) headers["X-Platform-Organization"] = organization;
        headers["X-Platform-Roles"] = string.Join(' ', roles);
        headers["X-Platform-Amr"] = string.Join(' ', methods);
        if (authTime is { } time0) headers["X-Platform-Auth-Time"] = time0.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        await next(context);
    }

    private async Task<TokenValidationResult> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        string? keyId;
        try
        {
            keyId = new JsonWebToken(token).Kid;
        }
        catch (ArgumentException exception)
        {
            return new TokenValidationResult { IsValid = false, Exception = exception };
        }

        var keys = await signingKeys.GetAsync(keyId, cancellationToken);
        return await Handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            IssuerSigningKeys = keys,
            ValidAlgorithms = Algorithms,
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateLifetime = true,
            ClockSkew = settings.ClockSkew,
            LifetimeValidator = (notBefore, expires, _, parameters) =>
                expires is { } e && time.GetUtcNow().UtcDateTime <= e.ToUniversalTime() + parameters.ClockSkew
                && (notBefore is not { } nb || time.GetUtcNow().UtcDateTime >= nb.ToUniversalTime() - parameters.ClockSkew),
        });
    }

    private static string[] Strings(IDictionary<string, object> claims, string name) => claims.TryGetValue(name, out var value) switch
    {
        false => [],
        _ => value switch
        {
            string single => [single],
            JsonElement { ValueKind: JsonValueKind.Array } array => array.EnumerateArray().Where(e => e.ValueKind == JsonValueKind.String).Select(e => e.GetString()!).ToArray(),
            IEnumerable<object> list => list.Select(o => Convert.ToString(o, CultureInfo.InvariantCulture) ?? "").Where(s => s.Length > 0).ToArray(),
            _ => [],
        },
    };

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
