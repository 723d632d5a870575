using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Platform.Security.Tokens;

namespace Microsoft.Extensions.Hosting;

public static class AccessTokenExtensions
{
    /// <summary>
    /// Binds <typeparamref name="TOptions"/> from <paramref name="section"/>, validated at start-up, and registers the
    /// <see cref="SigningKeySet"/> and <see cref="AccessTokenValidator"/> that use it.
    /// </summary>
    public static IHostApplicationBuilder AddAccessTokenValidation<TOptions>(this IHostApplicationBuilder builder, string section)
        where TOptions : AccessTokenOptions
    {
        builder.Services.AddOptions<TOptions>().BindConfiguration(section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TOptions>>(new AccessTokenOptionsValidator<TOptions>(section));
        builder.Services.AddHttpClient(nameof(SigningKeySet));
        builder.Services.AddSingleton(provider => new SigningKeySet(
            provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SigningKeySet)),
            provider.GetRequiredService<IOptions<TOptions>>().Value,
            provider.GetRequiredService<TimeProvider>(),
            provider.GetRequiredService<ILogger<SigningKeySet>>()));
        builder.Services.AddSingleton(provider => new AccessTokenValidator(
            provider.GetRequiredService<SigningKeySet>(), provider.GetRequiredService<IOptions<TOptions>>().Value, provider.GetRequiredService<TimeProvider>()));
        return builder;
    }
}
