namespace Platform.Gateway.UserTokens;

internal static class UserTokenExtensions
{
    public static IHostApplicationBuilder AddGatewayUserTokens(this IHostApplicationBuilder builder) =>
        builder.AddAccessTokenValidation<UserTokenOptions>(UserTokenOptions.SectionName);
}
