using System.Text.Json;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;

namespace Platform.Keys.Apis;

/// <summary>
/// The body of <c>PATCH …/keys/{keyId}</c>, read as JSON Merge Patch (RFC 7396): a field left out stays as it is;
/// <c>null</c> removes the rate-limit override, the expiry or the allowlist. Name and scopes cannot be removed.
/// The override is <c>rateLimit</c> or, in its older form, <c>rateLimitPerMinute</c>: either, not both.
/// </summary>
internal static class KeyPatch
{
    private static readonly string[] fields = ["name", "scopes", "allowedCidrs", "rateLimit", "rateLimitPerMinute", "expiresAt"];

    public static KeyChanges? Parse(JsonElement body, DateTimeOffset now, JsonSerializerOptions options, ValidationErrors errors)
    {
        if (body.ValueKind != JsonValueKind.Object)
        {
            errors.Add("body", "Must be a JSON object.");
            return null;
        }

        string? name = null;
        IReadOnlyList<KeyScope>? scopes = null;
        IReadOnlyList<string>? cidrs = null;
        RateLimit? rateLimit = null;
        DateTimeOffset? expiresAt = null;
        bool setsRateLimit = false, setsExpiry = false;
        var seen = new HashSet<string>(StringComparer.Ordinal);

        foreach (var property in body.EnumerateObject())
        {
            var value = property.Value;
            var isNull = value.ValueKind == JsonValueKind.Null;
            if (!fields.Contains(property.Name))
            {
                errors.Add("body", $"Unknown property. Known: {string.Join(", ", fields)}.");
                continue;
            }

            if (!seen.Add(property.Name))
            {
                errors.Add(property.Name, "Give each property once.");
                continue;
            }

            switch (property.Name)
            {
                case "name":
                    name = KeyRules.Name(value.ValueKind == JsonValueKind.String ? value.GetString() : null, errors);
                    break;
                case "scopes":
                    scopes = Read<List<KeyScope?>>(value, options, "scopes", errors) is { } list ? KeyRules.Scopes(list, errors) : null;
                    break;
                case "allowedCidrs":
                    cidrs = isNull ? [] : Read<List<string?>>(value, options, "allowedCidrs", errors) is { } ranges ? KeyRules.Cidrs(ranges, errors) : null;
                    break;
                case "rateLimit":
                    setsRateLimit = true;
                    if (!isNull && Read<RateLimit>(value, options, "rateLimit", errors) is { } limit)
                    {
                        rateLimit = KeyRules.RateLimit(limit, null, errors);
                    }

                    break;
                case "rateLimitPerMinute":
                    setsRateLimit = true;
                    if (!isNull && Read<int?>(value, options, "rateLimitPerMinute", errors) is { } perMinute)
                    {
                        rateLimit = KeyRules.RateLimit(null, perMinute, errors);
                    }

                    break;
                case "expiresAt":
                    setsExpiry = true;
                    if (!isNull && Read<DateTimeOffset?>(value, options, "expiresAt", errors) is { } expiry)
                    {
                        expiresAt = KeyRules.Expiry(expiry, now, errors);
                    }

                    break;
            }
        }

        if (seen.Contains("rateLimit") && seen.Contains("rateLimitPerMinute"))
        {
            errors.Add("rateLimit", "Give rateLimit or the older rateLimitPerMinute, not both.");
        }

        if (seen.Count == 0 && !errors.Any)
        {
            errors.Add("body", $"Give at least one of: {string.Join(", ", fields)}.");
        }

        return errors.Any ? null : new KeyChanges(name, scopes, cidrs, setsRateLimit, rateLimit, setsExpiry, expiresAt);
    }

    private static T? Read<T>(JsonElement value, JsonSerializerOptions options, string field, ValidationErrors errors)
    {
        try
        {
            var result = value.Deserialize<T>(options);
            if (result is null) errors.Add(field, "Must not be null.");
            return result;
        }
        catch (JsonException)
        {
            errors.Add(field, "Has the wrong type; see the API documentation.");
            return default;
        }
    }
}
