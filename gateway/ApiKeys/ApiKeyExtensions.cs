using Platform.Gateway.Organizations;

namespace Platform.Gateway.ApiKeys;

internal static class ApiKeyExtensions
{
    public static IHostApplicationBuilder AddGatewayApiKeys(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiKeyOptions>()
            .BindConfiguration(ApiKeyOptions.SectionName)
            .Validate(o => o.Url is null || o.Url.IsAbsoluteUri, "Gateway:Keys:Url must be an absolute URL.")
            .Validate(o => o.Url is null || o.ServiceToken is { Length: >= 32 }, "Gateway:Keys:ServiceToken (at least 32 characters) is required with Gateway:Keys:Url.")
            .Validate(o => o.CacheDuration > TimeSpan.Zero && o.CacheDuration <= TimeSpan.FromMinutes(10), "Gateway:Keys:CacheDuration must be between 0 and 10 minutes.")
            .Validate(o => o.NegativeCacheDuration >= TimeSpan.Zero && o.NegativeCacheDuration <= TimeSpan.FromMinutes(1), "Gateway:Keys:NegativeCacheDuration must be between 0 and 1 minute.")
            .Validate(o => o.UsageFlushInterval >= TimeSpan.FromMilliseconds(100) && o.UsageFlushInterval <= TimeSpan.FromMinutes(5), "Gateway:Keys:UsageFlushInterval must be between 100 ms and 5 minutes.")
            .Validate(o => o.MaxCachedAnswers is >= 100 and <= 10_000_000, "Gateway:Keys:MaxCachedAnswers must be between 100 and 10,000,000.")
            .Validate(o => o.PolicyCacheDuration > TimeSpan.Zero && o.PolicyCacheDuration <= TimeSpan.FromMinutes(10), "Gateway:Keys:PolicyCacheDuration must be between 0 and 10 minutes.")
            .ValidateOnStart();
        // One verifier for the process: its cache is shared by every request.
        builder.Services.AddHttpClient(nameof(ApiKeyVerifier));
        builder.Services.AddHttpClient(nameof(KeyUsageRecorder));
        builder.Services.AddSingleton(provider => ActivatorUtilities.CreateInstance<ApiKeyVerifier>(
            provider, provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(ApiKeyVerifier))));
        builder.Services.AddHttpClient(nameof(NetworkPolicies));
        builder.Services.AddSingleton(provider => ActivatorUtilities.CreateInstance<NetworkPolicies>(
            provider, provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(NetworkPolicies))));
        builder.Services.AddHostedService<KeyInvalidationListener>();
        builder.Services.AddSingleton(provider => ActivatorUtilities.CreateInstance<KeyUsageRecorder>(
            provider, provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(KeyUsageRecorder))));
        builder.Services.AddHostedService(provider => provider.GetRequiredService<KeyUsageRecorder>());
        return builder;
    }
}
