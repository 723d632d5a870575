using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.StackExchangeRedis;
using Microsoft.Extensions.Options;
using Platform.SecurityConsole.Api;
using Platform.SecurityConsole.Auth;
using StackExchange.Redis;

namespace Platform.SecurityConsole;

internal static class Extensions
{
    public static IHostApplicationBuilder AddConsoleServices(this IHostApplicationBuilder builder)
    {
        builder.AddRedisClient("redis");
        builder.RequireConnectionString<IConnectionMultiplexer>("redis");

        builder.Services.AddOptions<ConsoleOptions>().Bind(builder.Configuration.GetSection(ConsoleOptions.Section)).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ConsoleOptions>, ConsoleOptionsValidator>();

        // Cookies and anti-forgery tokens of every replica are protected by one key ring, kept in Redis beside the
        // sessions (which are sealed under Console:DataKey besides).
        builder.Services.AddDataProtection().SetApplicationName("platform-console");
        builder.Services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(services => new ConfigureOptions<KeyManagementOptions>(keys =>
        {
            keys.XmlRepository = new RedisXmlRepository(() => services.GetRequiredService<IConnectionMultiplexer>().GetDatabase(), "console:data-protection-keys");
            keys.XmlEncryptor = new DataKeyXmlEncryptor(services.GetRequiredService<SessionSeal>());
        }));

        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "__Host-console-af";
            antiforgery.Cookie.Path = "/";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.Always;
            antiforgery.Cookie.SameSite = SameSiteMode.Strict;
            antiforgery.FormFieldName = "__console_af";
        });

        // The client address the gateway reports (X-Platform-Client-Address) is believed only when it is signed.
        builder.AddGatewaySignatureVerification();
        builder.AddConsoleAuthentication();
        builder.Services.AddAuthorization();
        builder.Services.AddSingleton<PlatformApi>();
        return builder;
    }

    public static IApplicationBuilder UsePublicAddress(this IApplicationBuilder app) => app.Use((http, next) =>
    {
        var uri = http.RequestServices.GetRequiredService<IOptions<ConsoleOptions>>().Value.PublicUri;
        http.Request.Scheme = uri.Scheme;
        http.Request.Host = new HostString(uri.Authority);
        return next(http);
    });
}
