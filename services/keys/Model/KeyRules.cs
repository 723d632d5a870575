using System.Globalization;
using System.Net;

namespace Platform.Keys.Model;

/// <summary>What a key's settings may be (SPEC KEY-SCOPE, KEY-ROTATE). Each check adds to <see cref="ValidationErrors"/> and returns the normalised value.</summary>
internal static class KeyRules
{
    public const int MaxNameLength = 100;
    public const int MaxCidrs = 50;
    public const int MaxOrganizationCidrs = 100;
    public const int MaxRateLimitPerMinute = 1_000_000;
    public const int DefaultOverlapSeconds = 86_400;
    public const int MaxOverlapSeconds = 7 * 86_400;

    public static string? Name(string? name, ValidationErrors errors, string field = "name")
    {
        if (name is null || name.Length is 0 or > MaxNameLength || string.IsNullOrWhiteSpace(name))
        {
            errors.Add(field, $"Required: 1 to {MaxNameLength} characters, not only spaces.");
            return null;
        }

        // Format characters include the bidirectional overrides that make a name display as something else.
        if (name.Any(c => char.GetUnicodeCategory(c) is UnicodeCategory.Control or UnicodeCategory.Format))
        {
            errors.Add(field, "Must not contain control or formatting characters.");
            return null;
        }

        return name;
    }

    public static IReadOnlyList<KeyScope>? Scopes(IReadOnlyList<KeyScope?>? scopes, ValidationErrors errors, string field = "scopes")
    {
        if (scopes is null || scopes.Count == 0)
        {
            errors.Add(field, $"Required: at least one {{ \"permission\", \"level\" }}; permissions {string.Join(", ", Model.Scopes.Permissions)}.");
            return null;
        }

        var valid = true;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        for (var index = 0; index < scopes.Count; index++)
        {
            var scope = scopes[index];
            var item = $"{field}[{index}]";
            if (scope is null || !Model.Scopes.Permissions.Contains(scope.Permission))
            {
                errors.Add($"{item}.permission", $"Must be one of: {string.Join(", ", Model.Scopes.Permissions)}.");
                valid = false;
            }
            else if (!seen.Add(scope.Permission))
            {
                errors.Add($"{item}.permission", "Each permission may appear once.");
                valid = false;
            }

            if (scope is null || !Model.Scopes.Levels.Contains(scope.Level))
            {
                errors.Add($"{item}.level", $"Must be one of: {string.Join(", ", Model.Scopes.Levels)}.");
                valid = false;
            }
        }

        return valid ? scopes.Select(s => s!).ToList() : null;
    }

    /// <summary>
    /// IPv4 and IPv6 addresses and CIDR ranges, returned in canonical form (a bare address is a /32 or /128) without
    /// duplicates. Used for keys' allowlists and organizations' network policies alike.
    /// </summary>
    public static IReadOnlyList<string>? Cidrs(IReadOnlyList<string?>? cidrs, ValidationErrors errors, string field = "allowedCidrs", int maxEntries = MaxCidrs)
    {
        if (cidrs is null) return [];
        if (cidrs.Count > maxEntries)
        {
            errors.Add(field, $"At most {maxEntries} entries.");
            return null;
        }

        var valid = true;
        var canonical = new List<string>(cidrs.Count);
        for (var index = 0; index < cidrs.Count; index++)
        {
            if (!TryParseCidr(cidrs[index], out var network))
            {
                errors.Add($"{field}[{index}]", "Must be an IPv4 or IPv6 address or a CIDR range without host bits, such as 203.0.113.0/24 or 2001:db8::/32.");
                valid = false;
            }
            else if (!canonical.Contains(network.ToString()))
            {
                canonical.Add(network.ToString());
            }
        }

        return valid ? canonical : null;
    }

    public static bool TryParseCidr(string? text, out IPNetwork network)
    {
        network = default;
        if (string.IsNullOrEmpty(text) || text.Length > 64) return false;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var address = slash < 0 ? text : text[..slash];
        // IPAddress also accepts "10.1" and "167772161" for 10.0.0.1, and zone ids: nobody means those in an allowlist.
        var isV6 = address.Contains(':', StringComparison.Ordinal);
        if (address.Contains('%', StringComparison.Ordinal)) return false;
        if (!isV6 && (address.Count(c => c == '.') != 3 || address.Any(c => c is not (>= '0' and <= '9' or '.')))) return false;
        if (slash < 0)
        {
            if (!IPAddress.TryParse(address, out var single)) return false;
            network = new IPNetwork(single, isV6 ? 128 : 32);
            return true;
        }

        var prefix = text.AsSpan(slash + 1);
        // IPNetwork clears host bits ("10.0.0.1/8" becomes 10.0.0.0/8): silently widening an allowlist is refused instead.
        return prefix.Length is > 0 and <= 3 && !prefix.ContainsAnyExceptInRange('0', '9')
            && IPNetwork.TryParse(text, out network) && IPAddress.TryParse(address, out var given) && network.BaseAddress.Equals(given);
    }

    /// <summary>
    /// A key's rate-limit override, given either as <c>rateLimit</c> or in the older form <c>rateLimitPerMinute</c>
    /// (the same as a 60-second window), never both. Null when neither is given.
    /// </summary>
    public static RateLimit? RateLimit(RateLimit? rateLimit, int? perMinute, ValidationErrors errors)
    {
        if (rateLimit is not null && perMinute is not null)
        {
            errors.Add("rateLimit", "Give rateLimit or the older rateLimitPerMinute, not both.");
            return null;
        }

        if (perMinute is not null)
        {
            if (perMinute is >= 1 and <= MaxRateLimitPerMinute) return new RateLimit(perMinute.Value, 60);
            errors.Add("rateLimitPerMinute", $"Must be from 1 to {MaxRateLimitPerMinute:N0} requests per minute, or absent for the default.");
            return null;
        }

        if (rateLimit is null) return null;
        var valid = true;
        if (rateLimit.Requests is < 1 or > Model.RateLimit.MaxRequests)
        {
            errors.Add("rateLimit.requests", $"Must be from 1 to {Model.RateLimit.MaxRequests:N0}.");
            valid = false;
        }

        if (rateLimit.WindowSeconds is < 1 or > Model.RateLimit.MaxWindowSeconds)
        {
            errors.Add("rateLimit.windowSeconds", $"Must be from 1 to {Model.RateLimit.MaxWindowSeconds:N0} seconds (one day).");
            valid = false;
        }

        return valid ? rateLimit : null;
    }

    public static DateTimeOffset? Expiry(DateTimeOffset? expiresAt, DateTimeOffset now, ValidationErrors errors, string field = "expiresAt")
    {
        if (expiresAt is { } time && time <= now)
        {
            errors.Add(field, "Must be in the future (ISO 8601, e.g. 2027-01-31T00:00:00Z).");
            return null;
        }

        return expiresAt?.ToUniversalTime();
    }

    public static TimeSpan? Overlap(int? seconds, ValidationErrors errors, string field = "overlapSeconds")
    {
        var value = seconds ?? DefaultOverlapSeconds;
        if (value is < 0 or > MaxOverlapSeconds)
        {
            errors.Add(field, $"Must be from 0 to {MaxOverlapSeconds} seconds (7 days); the default is {DefaultOverlapSeconds}.");
            return null;
        }

        return TimeSpan.FromSeconds(value);
    }
}
