using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Platform.Keys.Data;

namespace Platform.Keys.Secrets;

internal static class SecretsExtensions
{
    /// <summary>Customer secrets (SPEC KEY-SECRETS), sealed by storage's transit API.</summary>
    public static IHostApplicationBuilder AddKeySecrets(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KeySecretsOptions>()
            .Bind(builder.Configuration.GetSection(KeySecretsOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<KeySecretsOptions>, KeySecretsOptionsValidator>();

        builder.Services.AddHttpClient(nameof(TransitClient), http => http.BaseAddress = new Uri(TransitClient.BaseAddress));
        builder.Services.AddSingleton<TransitClient>();
        // A person waits on every call: a short retry on a blip, then a 503, rather than the default half a minute.
        builder.Services.Configure<HttpStandardResilienceOptions>($"{nameof(TransitClient)}-standard", resilience =>
        {
            resilience.Retry.MaxRetryAttempts = 2;
            resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
            resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(5);
            resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(12);
            resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
        });

        builder.Services.AddSingleton<SecretStore>();
        builder.Services.AddSingleton<SecretManager>();
        builder.Services.AddSingleton<SecretRewrapper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SecretRewrapper>());
        return builder;
    }
}
