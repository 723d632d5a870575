using Microsoft.Extensions.Options;

namespace Platform.Gateway.UserTokens;

internal static class UserTokenExtensions
{
    public static IHostApplicationBuilder AddGatewayUserTokens(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<UserTokenOptions>()
            .BindConfiguration(UserTokenOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<UserTokenOptions>, UserTokenOptionsValidator>();
        builder.Services.AddHttpClient(nameof(SigningKeys));
        builder.Services.AddSingleton(provider => ActivatorUtilities.CreateInstance<SigningKeys>(
            provider, provider.GetRequiredService<IHttpClientFactory>().CreateClient(nameof(SigningKeys))));
        return builder;
    }
}

internal sealed class UserTokenOptionsValidator : IValidateOptions<UserTokenOptions>
{
    public ValidateOptionsResult Validate(string? name, UserTokenOptions options)
    {
        var errors = options.Validate().ToList();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
