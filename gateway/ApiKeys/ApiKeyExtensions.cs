using Microsoft.Extensions.Options;
using Platform.Gateway.Organizations;

namespace Platform.Gateway.ApiKeys;

internal static class ApiKeyExtensions
{
    public static IHostApplicationBuilder AddGatewayApiKeys(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ApiKeyOptions>()
            .BindConfiguration(ApiKeyOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ApiKeyOptions>, ApiKeyOptionsValidator>();
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
