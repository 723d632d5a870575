namespace Platform.Gateway.ApiKeys;

/// <summary>The keys service's answer to <c>POST /internal/v1/keys/verify</c>.</summary>
internal sealed record KeyVerification(
    bool Valid,
    string? Reason,
    string? KeyId,
    string? OrganizationId,
    string? Environment,
    IReadOnlyList<KeyScope>? Scopes,
    IReadOnlyList<string>? AllowedCidrs,
    int? RateLimitPerMinute,
    DateTimeOffset? ExpiresAt,
    KeyRateLimit? RateLimit = null)
{
    public static readonly KeyVerification Malformed = new(false, "malformed", null, null, null, null, null, null, null);

    public bool Allows(string permission, IReadOnlyCollection<string> levels)
    {
        foreach (var scope in Scopes ?? [])
        {
            if (scope.Permission == permission && levels.Contains(scope.Level)) return true;
        }

        return false;
    }
}

internal sealed record KeyScope(string Permission, string Level);

/// <summary>The key's own limit, which overrides its organization's plan.</summary>
internal sealed record KeyRateLimit(int Requests, int WindowSeconds);
