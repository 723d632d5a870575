using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Identity.Accounts;
using Platform.Identity.Apis;
using Platform.Identity.Data;
using Platform.Identity.Events;
using Platform.Identity.Mail;
using Platform.Identity.Mfa;
using Platform.Identity.Oidc;
using Platform.Identity.Organizations;
using Platform.Identity.Passwords;
using Platform.Identity.Scim;
using Platform.Identity.Sessions;
using Platform.Identity.Sessions.KeyRing;
using Platform.Messaging;

namespace Platform.Identity;

internal static class Extensions
{
    public static IHostApplicationBuilder AddIdentityServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("identitydb");
        builder.RequireConnectionString<NpgsqlDataSource>("identitydb");
        // The migrator before every other hosted service (Data Protection's key ring warm-up, the relays, the signing
        // key ring): they read its tables.
        builder.AddSchemaMigrations(IdentitySchema.Definition, MessagingSchema.Definition, OidcSchema.Definition);

        builder.Services.AddOptions<IdentityOptions>()
            .Bind(builder.Configuration.GetSection(IdentityOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<IdentityOptions>, IdentityOptionsValidator>();
        // Bodies are small forms and JSON documents; anything bigger is refused before it is read.
        builder.Services.Configure<KestrelServerOptions>(kestrel => kestrel.Limits.MaxRequestBodySize = 64 * 1024);

        // OpenIddict's Trace level prints whole tokens: whatever the configuration says, it logs at Debug at most.
        builder.Services.PostConfigure<LoggerFilterOptions>(CapOpenIddictLogging);

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<UnhandledExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.RespectNullableAnnotations = true;
            json.SerializerOptions.RespectRequiredConstructorParameters = true;
        });

        builder.Services.AddSharedKeyRing();
        var authentication = builder.Services.AddAuthentication(SessionIssuer.Scheme);
        SessionIssuer.ConfigureCookies(authentication);
        authentication.AddScheme<AuthenticationSchemeOptions, BearerTokenHandler>(BearerTokenHandler.SchemeName, null);
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
        builder.Services.AddSingleton<AuditTrail>();
        builder.Services.AddSingleton<AccountService>();
        builder.Services.AddSingleton<SignInService>();
        builder.Services.AddSingleton<TotpService>();
        builder.Services.AddSingleton<SessionStore>();
        builder.Services.AddSingleton<SessionIssuer>();
        builder.Services.AddSingleton<ApiAccess>();
        builder.Services.AddSingleton<OrganizationService>();
        builder.Services.AddScoped<ClientService>();
        builder.Services.AddSingleton<Sso.SsoStore>();
        builder.Services.AddSingleton<Sso.IssuerDiscovery>();
        builder.Services.AddSingleton<Sso.SsoAdministration>();
        builder.Services.AddSingleton<Sso.SsoFederation>();
        builder.Services.AddSingleton<Sso.SsoUserinfo>();
        builder.Services.AddSingleton<Sso.Saml.SamlStore>();
        builder.Services.AddSingleton<Sso.Saml.SamlSpKeyStore>();
        builder.Services.AddSingleton<Sso.Saml.SamlAdministration>();
        builder.Services.AddSingleton<Sso.Saml.SamlSignIn>();
        builder.Services.TryAddSingleton<Sso.IDomainTxtResolver, Sso.DnsTxtResolver>();
        // The IdPs' discovery, JWKS and token endpoints: short time-outs, no redirects followed, no cookies.
        builder.Services.AddHttpClient(Sso.IssuerDiscovery.HttpClientName, client => client.Timeout = TimeSpan.FromSeconds(10))
            .ConfigurePrimaryHttpMessageHandler(services => Sso.IdpNetwork.Handler(services.GetRequiredService<IOptions<IdentityOptions>>().Value.Sso.AllowPrivateNetworks));
        builder.Services.AddSingleton<IMailSender>(services => CreateMailSender(services));

        builder.AddScimServices();
        builder.AddOidc();
        builder.Services.AddHostedService<Oidc.FirstPartyClients>();
        builder.Services.AddHostedService<MailRelay>();
        builder.Services.AddSingleton<Closure.ClosingOrganizations>();
        builder.AddEventBus("messaging", "identity").AddOutbox()
            // Account closure (SPEC RET-CLOSE): the organization and its memberships deleted after the grace period.
            .WithInbox()
            .AddSubscription<Platform.Messaging.Contracts.ClosureRequested, Closure.ClosureRequestedHandler>()
            .AddSubscription<Platform.Messaging.Contracts.ClosureCancelled, Closure.ClosureRequestedHandler>()
            .AddSubscription<Platform.Messaging.Contracts.ClosureDue, Closure.ClosureDueHandler>()
            // Data-subject requests (SPEC RET-DSAR): the person's part of an archive, and their erasure.
            .AddSubscription<Platform.Messaging.Contracts.SubjectExportRequested, SubjectRequests.SubjectExportHandler>()
            .AddSubscription<Platform.Messaging.Contracts.SubjectErasureRequested, SubjectRequests.SubjectErasureHandler>();
        return builder;
    }

    private static void CapOpenIddictLogging(LoggerFilterOptions filters)
    {
        const string category = "OpenIddict";
        static bool Below(LogLevel? level) => level is < LogLevel.Debug;
        for (var index = 0; index < filters.Rules.Count; index++)
        {
            var rule = filters.Rules[index];
            if (rule.CategoryName?.StartsWith(category, StringComparison.Ordinal) == true && Below(rule.LogLevel))
            {
                filters.Rules[index] = new LoggerFilterRule(rule.ProviderName, rule.CategoryName, LogLevel.Debug, rule.Filter);
            }
        }

        // A broader rule (the default, or a prefix such as "Open") below Debug would reach OpenIddict when no rule of its
        // own does: give it one, per provider, at Debug. A configured OpenIddict level at or above Debug is left alone.
        var providers = filters.Rules
            .Where(r => Below(r.LogLevel) && (r.CategoryName is null || category.StartsWith(r.CategoryName, StringComparison.Ordinal)))
            .Select(r => r.ProviderName).Distinct().ToList();
        if (Below(filters.MinLevel) && !providers.Contains(null)) providers.Add(null);
        foreach (var provider in providers)
        {
            if (!filters.Rules.Any(r => r.ProviderName == provider && r.CategoryName?.StartsWith(category, StringComparison.Ordinal) == true))
            {
                filters.Rules.Add(new LoggerFilterRule(provider, category, LogLevel.Debug, null));
            }
        }
    }

    private static IMailSender CreateMailSender(IServiceProvider services)
    {
        var mail = services.GetRequiredService<IOptions<IdentityOptions>>().Value.Mail;
        if (!string.IsNullOrWhiteSpace(mail.SmtpHost)) return new SmtpMailSender(mail.SmtpHost, mail.SmtpPort, mail.From);
        var root = services.GetRequiredService<IHostEnvironment>().ContentRootPath;
        return new FolderMailSender(Path.GetFullPath(Path.Combine(root, mail.Folder!)), mail.From);
    }
}
