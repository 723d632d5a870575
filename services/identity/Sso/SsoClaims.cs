using System.Text.Json;

namespace Platform.Identity.Sso;

/// <summary>
/// What a sign-in takes from an IdP's claims: the email, whether the IdP verified it, and the user's groups (from the
/// connection's groups claim; null when the IdP sent none). Read from the ID token, completed from the userinfo answer
/// for what the ID token lacks (the ID token's own values are never overridden).
/// </summary>
internal sealed record SsoClaims(string? Email, bool? EmailVerified, IReadOnlyList<string>? Groups)
{
    /// <summary>Groups beyond this many, or longer than <see cref="MaxGroupLength"/>, are not read (an IdP's token is no place for more).</summary>
    public const int MaxGroups = 500;
    public const int MaxGroupLength = 256;

    public static SsoClaims From(string encodedPayload, string groupsClaim)
    {
        using var document = JsonDocument.Parse(Microsoft.IdentityModel.Tokens.Base64UrlEncoder.Decode(encodedPayload));
        return From(document.RootElement, groupsClaim);
    }

    public static SsoClaims From(JsonElement claims, string groupsClaim)
    {
        if (claims.ValueKind != JsonValueKind.Object) return new SsoClaims(null, null, null);
        var email = claims.TryGetProperty("email", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString() : null;
        bool? verified = claims.TryGetProperty("email_verified", out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.String => v.GetString() == "true",
                _ => null,
            }
            : null;
        return new SsoClaims(email, verified, ReadGroups(claims, groupsClaim));
    }

    private static IReadOnlyList<string>? ReadGroups(JsonElement claims, string name)
    {
        if (!claims.TryGetProperty(name, out var value)) return null;
        IEnumerable<JsonElement> items = value.ValueKind switch
        {
            JsonValueKind.Array => value.EnumerateArray(),
            JsonValueKind.String => [value],
            _ => [],
        };
        return items.Where(i => i.ValueKind == JsonValueKind.String).Select(i => i.GetString()!)
            .Where(g => g.Length is > 0 and <= MaxGroupLength).Take(MaxGroups).Distinct(StringComparer.Ordinal).ToList();
    }

    /// <summary>Whether the ID token leaves out something the sign-in needs (groups only when the connection maps them).</summary>
    public bool Lacks(bool wantGroups) => Email is null || EmailVerified is null || (wantGroups && Groups is null);

    public SsoClaims Complete(SsoClaims userinfo) => new(Email ?? userinfo.Email, EmailVerified ?? userinfo.EmailVerified, Groups ?? userinfo.Groups);
}
