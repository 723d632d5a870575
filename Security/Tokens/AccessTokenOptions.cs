namespace Platform.Security.Tokens;

/// <summary>
/// Where access tokens from the identity service come from and what they must say (SPEC ID-OIDC): every service that
/// takes them (the gateway, and services that check them again) binds one of these. Without an <see cref="Issuer"/>
/// no access token is accepted.
/// </summary>
public class AccessTokenOptions
{
    /// <summary>The <c>iss</c> every token must carry: the identity service's public address.</summary>
    public string? Issuer { get; set; }

    /// <summary>Where the signing keys are fetched (the identity service's internal address); default: under the issuer.</summary>
    public Uri? JwksUrl { get; set; }

    /// <summary>The <c>aud</c> a token must carry to be used on the API.</summary>
    public string Audience { get; set; } = "platform-api";

    /// <summary>How often the signing keys are fetched again; an unknown <c>kid</c> also triggers a fetch, at most every <see cref="MinimumJwksRefresh"/>.</summary>
    public TimeSpan JwksRefreshInterval { get; set; } = TimeSpan.FromMinutes(5);

    public TimeSpan MinimumJwksRefresh { get; set; } = TimeSpan.FromSeconds(10);

    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Administrative actions need a multi-factor authentication no older than this (SPEC ID-MFA).</summary>
    public TimeSpan StepUpMaxAge { get; set; } = TimeSpan.FromMinutes(15);

    public bool Enabled => !string.IsNullOrWhiteSpace(Issuer);

    public Uri EffectiveJwksUrl => JwksUrl ?? new Uri(new Uri(Issuer!.TrimEnd('/') + "/"), ".well-known/jwks");

    /// <summary>Every setting error, named under <paramref name="section"/>.</summary>
    public IEnumerable<string> Validate(string section)
    {
        if (!Enabled) yield break;
        if (!Uri.TryCreate(Issuer, UriKind.Absolute, out var issuer) || issuer.Scheme != Uri.UriSchemeHttps) yield return $"{section}:Issuer must be an absolute https URL.";
        if (JwksUrl is { IsAbsoluteUri: false }) yield return $"{section}:JwksUrl must be an absolute URL.";
        if (string.IsNullOrWhiteSpace(Audience)) yield return $"{section}:Audience is required.";
        if (JwksRefreshInterval < TimeSpan.FromSeconds(10) || JwksRefreshInterval > TimeSpan.FromHours(24)) yield return $"{section}:JwksRefreshInterval must be between 10 s and 24 h.";
        if (MinimumJwksRefresh < TimeSpan.FromSeconds(1) || MinimumJwksRefresh > JwksRefreshInterval) yield return $"{section}:MinimumJwksRefresh must be between 1 s and JwksRefreshInterval.";
        if (ClockSkew < TimeSpan.Zero || ClockSkew > TimeSpan.FromMinutes(5)) yield return $"{section}:ClockSkew must be between 0 and 5 minutes.";
        if (StepUpMaxAge < TimeSpan.FromMinutes(1) || StepUpMaxAge > TimeSpan.FromHours(12)) yield return $"{section}:StepUpMaxAge must be between 1 minute and 12 hours.";
    }
}
