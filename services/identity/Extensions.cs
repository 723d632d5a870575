using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Options;
using Platform.Identity.Accounts;
using Platform.Identity.Apis;
using Platform.Identity.Data;
using Platform.Identity.Mail;
using Platform.Identity.Mfa;
using Platform.Identity.Oidc;
using Platform.Identity.Organizations;
using Platform.Identity.Passwords;
using Platform.Identity.Sessions;

namespace Platform.Identity;

internal static class Extensions
{
    public static IHostApplicationBuilder AddIdentityServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("identitydb");

        builder.Services.AddOptions<IdentityOptions>()
            .Bind(builder.Configuration.GetSection(IdentityOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        // Bodies are small forms and JSON documents; anything bigger is refused before it is read.
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024);

        // OpenIddict's Trace level prints whole tokens; never below Debug, whatever the configuration says (this rule
        // is added after the configured ones, so it wins for the "OpenIddict" category).
        builder.Services.PostConfigure<LoggerFilterOptions>(filters => filters.Rules.Add(new LoggerFilterRule(null, "OpenIddict", LogLevel.Debug, null)));

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<UnhandledExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.RespectNullableAnnotations = true;
            json.SerializerOptions.RespectRequiredConstructorParameters = true;
        });

        SessionIssuer.ConfigureCookies(builder.Services.AddAuthentication(SessionIssuer.Scheme));
        builder.Services.AddAuthorization();
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "__Host-platform-af";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.Always;
        });

        builder.Services.AddSingleton<PasswordHasher>();
        builder.Services.AddSingleton<PasswordPolicy>();
        builder.Services.AddSingleton<DataProtector>();
        builder.Services.AddSingleton<UserStore>();
        builder.Services.AddSingleton<Throttle>();
        builder.Services.AddSingleton<MailOutbox>();
        builder.Services.AddSingleton<AccountService>();
        builder.Services.AddSingleton<SignInService>();
        builder.Services.AddSingleton<TotpService>();
        builder.Services.AddSingleton<SessionIssuer>();
        builder.Services.AddSingleton<ApiAccess>();
        builder.Services.AddSingleton<OrganizationService>();
        builder.Services.AddScoped<ClientService>();
        builder.Services.AddSingleton<IMailSender>(services => CreateMailSender(services));

        // The migrator first: the relays and the key ring need its tables.
        builder.Services.AddHostedService<SchemaMigrator>();
        builder.AddOidc();
        builder.Services.AddHostedService<MailRelay>();
        builder.AddEventBus("messaging", "identity").AddOutbox();
        return builder;
    }

    private static IMailSender CreateMailSender(IServiceProvider services)
    {
        var mail = services.GetRequiredService<IOptions<IdentityOptions>>().Value.Mail;
        if (!string.IsNullOrWhiteSpace(mail.SmtpHost)) return new SmtpMailSender(mail.SmtpHost, mail.SmtpPort, mail.From);
        var root = services.GetRequiredService<IHostEnvironment>().ContentRootPath;
        return new FolderMailSender(Path.GetFullPath(Path.Combine(root, mail.Folder!)), mail.From);
    }
}
