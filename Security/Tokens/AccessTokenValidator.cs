using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Platform.Security.Tokens;

/// <summary>
/// Validates the identity service's access tokens locally (SPEC ID-OIDC): signature from the JWKS (asymmetric
/// algorithms only, so neither <c>alg: none</c> nor an HMAC made with a public key passes), issuer, audience and
/// lifetime on the injected clock. The same checks at the gateway and in every service that looks again.
/// </summary>
public sealed class AccessTokenValidator(SigningKeySet signingKeys, AccessTokenOptions settings, TimeProvider time)
{
    private static readonly string[] Algorithms = [SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384];
    private static readonly JsonWebTokenHandler Handler = new() { MapInboundClaims = false };

    public AccessTokenOptions Settings => settings;

    /// <summary>A bearer value that has the shape of a JWS (three base64url parts) rather than an API key or an operator token.</summary>
    public static bool TryReadBearer(HttpRequest request, out string token)
    {
        token = "";
        var authorization = request.Headers.Authorization;
        if (authorization.Count != 1 || authorization[0] is not { } value || !value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return false;
        var candidate = value["Bearer ".Length..].Trim();
        if (candidate.Length is < 20 or > 16_384 || candidate.Count(c => c == '.') != 2 || !candidate.StartsWith("eyJ", StringComparison.Ordinal)) return false;
        token = candidate;
        return true;
    }

    /// <summary>The principal the token names, or the reason (an exception type name, never the token) it was refused.</summary>
    public async Task<(AccessTokenPrincipal? Principal, string? Refusal)> ValidateAsync(string token, CancellationToken cancellationToken)
    {
        string? keyId;
        try
        {
            keyId = new JsonWebToken(token).Kid;
        }
        catch (ArgumentException exception)
        {
            return (null, exception.GetType().Name);
        }

        var keys = await signingKeys.GetAsync(keyId, cancellationToken);
        var result = await Handler.ValidateTokenAsync(token, new TokenValidationParameters
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
        if (!result.IsValid) return (null, result.Exception?.GetType().Name ?? "invalid");

        var claims = result.Claims;
        var subject = claims.TryGetValue("sub", out var sub) ? sub as string : null;
        var organization = claims.TryGetValue("org_id", out var org) ? org as string : null;
        if (string.IsNullOrEmpty(subject) || subject.Length > 128 || organization is { Length: > 128 }) return (null, "no-subject");

        var authTime = claims.TryGetValue("auth_time", out var at) && long.TryParse(Convert.ToString(at, CultureInfo.InvariantCulture), CultureInfo.InvariantCulture, out var seconds)
            ? DateTimeOffset.FromUnixTimeSeconds(seconds) : (DateTimeOffset?)null;
        // RFC 8693 section 4.2: "scope" is one space-separated string.
        var scopes = claims.TryGetValue("scope", out var scope) && scope is string granted
            ? granted.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            : Strings(claims, "scope");
        return (new AccessTokenPrincipal(subject, organization, Strings(claims, "roles"), Strings(claims, "amr"), authTime) { Scopes = scopes }, null);
    }

    /// <summary>Whether the principal authenticated with a second factor within <see cref="AccessTokenOptions.StepUpMaxAge"/>.</summary>
    public bool HasRecentMfa(AccessTokenPrincipal principal) =>
        principal.Methods.Contains("mfa") && principal.AuthTime is { } authenticated && time.GetUtcNow() - authenticated <= settings.StepUpMaxAge;

    /// <summary>The RFC 9470 challenge that asks for a fresh multi-factor authentication.</summary>
    public string StepUpChallenge =>
        $"Bearer error=\"insufficient_user_authentication\", error_description=\"A recent multi-factor authentication is required\", acr_values=\"mfa\", max_age={(int)settings.StepUpMaxAge.TotalSeconds}";

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
}

/// <summary>The user (or machine client) a validated access token names, and how and when it authenticated.</summary>
public sealed record AccessTokenPrincipal(string Subject, string? OrganizationId, IReadOnlyList<string> Roles, IReadOnlyList<string> Methods, DateTimeOffset? AuthTime)
{
    /// <summary>The OAuth scopes granted (<c>platform.keys</c>, …), from the <c>scope</c> claim.</summary>
    public IReadOnlyList<string> Scopes { get; init; } = [];
}
