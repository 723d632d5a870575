using Microsoft.Extensions.Options;

namespace Platform.Gateway.ApiKeys;

/// <summary>Checks <c>Gateway:Keys</c> and reports every problem at once; the service token is named, never shown.</summary>
internal sealed class ApiKeyOptionsValidator : IValidateOptions<ApiKeyOptions>
{
    public ValidateOptionsResult Validate(string? name, ApiKeyOptions options)
    {
        var errors = new List<string>();
        if (options.Url is { IsAbsoluteUri: false })
        {
            errors.Add("Gateway:Keys:Url must be an absolute URL.");
        }

        if (options.Url is not null && options.ServiceToken is not { Length: >= 32 })
        {
            errors.Add("Gateway:Keys:ServiceToken (at least 32 characters) is required with Gateway:Keys:Url.");
        }

        if (options.CacheDuration <= TimeSpan.Zero || options.CacheDuration > TimeSpan.FromMinutes(10))
        {
            errors.Add("Gateway:Keys:CacheDuration must be between 0 and 10 minutes.");
        }

        if (options.NegativeCacheDuration < TimeSpan.Zero || options.NegativeCacheDuration > TimeSpan.FromMinutes(1))
        {
            errors.Add("Gateway:Keys:NegativeCacheDuration must be between 0 and 1 minute.");
        }

        if (options.UsageFlushInterval < TimeSpan.FromMilliseconds(100) || options.UsageFlushInterval > TimeSpan.FromMinutes(5))
        {
            errors.Add("Gateway:Keys:UsageFlushInterval must be between 100 ms and 5 minutes.");
        }

        if (options.MaxCachedAnswers is < 100 or > 10_000_000)
        {
            errors.Add("Gateway:Keys:MaxCachedAnswers must be between 100 and 10,000,000.");
        }

        if (options.PolicyCacheDuration <= TimeSpan.Zero || options.PolicyCacheDuration > TimeSpan.FromMinutes(10))
        {
            errors.Add("Gateway:Keys:PolicyCacheDuration must be between 0 and 10 minutes.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
