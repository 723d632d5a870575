using Platform.Keys.Model;

namespace Platform.Keys.Lifecycle;

/// <summary>A validated request for a new key.</summary>
internal sealed record KeyDraft(
    string Name,
    KeyEnvironment Environment,
    IReadOnlyList<KeyScope> Scopes,
    IReadOnlyList<string> AllowedCidrs,
    RateLimit? RateLimit,
    DateTimeOffset? ExpiresAt);

/// <summary>
/// A validated partial update: null means "leave as it is"; <see cref="SetsRateLimit"/> and <see cref="SetsExpiry"/>
/// tell a change to "none" (JSON null) from no change at all.
/// </summary>
internal sealed record KeyChanges(
    string? Name,
    IReadOnlyList<KeyScope>? Scopes,
    IReadOnlyList<string>? AllowedCidrs,
    bool SetsRateLimit,
    RateLimit? RateLimit,
    bool SetsExpiry,
    DateTimeOffset? ExpiresAt)
{
    /// <summary>The key with these changes, and the API names of the fields whose value actually changed.</summary>
    public (ApiKey Key, IReadOnlyList<string> Changed) ApplyTo(ApiKey key)
    {
        var changed = new List<string>();
        var result = key;
        if (Name is not null && Name != key.Name)
        {
            result = result with { Name = Name };
            changed.Add("name");
        }

        if (Scopes is not null && !Scopes.OrderBy(Model.Scopes.Encode).SequenceEqual(key.Scopes.OrderBy(Model.Scopes.Encode)))
        {
            result = result with { Scopes = Scopes };
            changed.Add("scopes");
        }

        if (AllowedCidrs is not null && !AllowedCidrs.Order().SequenceEqual(key.AllowedCidrs.Order()))
        {
            result = result with { AllowedCidrs = AllowedCidrs };
            changed.Add("allowedCidrs");
        }

        if (SetsRateLimit && RateLimit != key.RateLimit)
        {
            result = result with { RateLimit = RateLimit };
            changed.Add("rateLimit");
        }

        if (SetsExpiry && ExpiresAt != key.ExpiresAt)
        {
            result = result with { ExpiresAt = ExpiresAt };
            changed.Add("expiresAt");
        }

        return (result, changed);
    }
}
