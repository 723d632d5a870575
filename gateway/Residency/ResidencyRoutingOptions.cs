using Microsoft.Extensions.Options;

namespace Platform.Gateway.Residency;

/// <summary>
/// <c>Gateway:Residency</c>: where organizations' residency is read (the residency service), for routing requests that
/// name no pinned dataset (creation, listing) to the organization's region. Without a <see cref="Url"/> those go to the
/// first destination of the cluster.
/// </summary>
internal sealed class ResidencyRoutingOptions
{
    public const string SectionName = "Gateway:Residency";

    public Uri? Url { get; set; }

    /// <summary>The gateway's credential at the residency service (<c>Residency:ServiceTokens</c> there).</summary>
    public string? ServiceToken { get; set; }

    /// <summary>How long an organization's residency is used without asking again.</summary>
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The residency service's Redis channel: an organization id on it drops that organization's cached answer.</summary>
    public string InvalidationChannel { get; set; } = "platform:organizations:residency-changed";

    /// <summary>At most this many organizations' answers are cached (the cache is emptied past it).</summary>
    public int MaxCachedAnswers { get; set; } = 100_000;
}

internal sealed class ResidencyRoutingOptionsValidator : IValidateOptions<ResidencyRoutingOptions>
{
    public ValidateOptionsResult Validate(string? name, ResidencyRoutingOptions options)
    {
        var errors = new List<string>();
        if (options.Url is { } url && (!url.IsAbsoluteUri || url.Scheme is not ("http" or "https")))
            errors.Add("Gateway:Residency:Url must be an absolute http(s) address.");
        if (options.Url is not null && options.ServiceToken is not { Length: >= 32 })
            errors.Add("Gateway:Residency:ServiceToken must have at least 32 characters when Gateway:Residency:Url is set.");
        if (options.CacheDuration < TimeSpan.Zero || options.CacheDuration > TimeSpan.FromMinutes(10))
            errors.Add("Gateway:Residency:CacheDuration must be from 0 to 10 minutes.");
        if (string.IsNullOrWhiteSpace(options.InvalidationChannel)) errors.Add("Gateway:Residency:InvalidationChannel must not be empty.");
        if (options.MaxCachedAnswers < 1) errors.Add("Gateway:Residency:MaxCachedAnswers must be at least 1.");
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
