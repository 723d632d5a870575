using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Protocols.OpenIdConnect;
using Platform.SecurityConsole.Pages;

namespace Platform.SecurityConsole.Auth;

/// <summary>
/// The console as a first-party OpenID Connect client of identity: ASP.NET Core's OpenIdConnect handler (authorization
/// code + PKCE S256, query response mode, tokens saved into the server-side session) and its cookie handler with the
/// Redis session store. The session cookie is <c>__Host-console</c> (Secure, HttpOnly, SameSite=Lax, path /).
/// </summary>
internal static class OidcSetup
{
    public const string CallbackPath = "/console/signin-oidc";
    public const string OrganizationItem = "organization";

    public static void AddConsoleAuthentication(this IHostApplicationBuilder builder)
    {
        var settings = builder.Configuration.GetSection(ConsoleOptions.Section).Get<ConsoleOptions>() ?? new ConsoleOptions();
        builder.Services.AddSingleton<SessionSeal>();
        builder.Services.AddSingleton<RedisTicketStore>();
        builder.Services.AddSingleton<IPostConfigureOptions<CookieAuthenticationOptions>, UseRedisTicketStore>();
        builder.Services.AddSingleton<TokenRefresher>();
        builder.Services.AddSingleton<GatewayTrust>();
        builder.Services.AddHttpClient(PlatformHttp.Name, (services, client) =>
            {
                client.BaseAddress = services.GetRequiredService<IOptions<ConsoleOptions>>().Value.PublicUri;
                client.Timeout = TimeSpan.FromSeconds(90);
            })
            .ConfigurePrimaryHttpMessageHandler(services => services.GetRequiredService<GatewayTrust>().CreateHandler())
;
        // No retry of a POST: a refresh token is single-use, and a retried redemption would revoke the session's tokens.
        builder.Services.Configure<HttpStandardResilienceOptions>(PlatformHttp.Name + "-standard", resilience =>
        {
            resilience.Retry.DisableForUnsafeHttpMethods();
            // A page waits for its API calls; a busy platform's first authorization can take seconds, not a failure.
            resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(30);
            resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(60);
            resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(60);
        });

        builder.Services.AddAuthentication(options =>
            {
                options.DefaultScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                options.DefaultChallengeScheme = OpenIdConnectDefaults.AuthenticationScheme;
            })
            .AddCookie(cookie =>
            {
                cookie.Cookie.Name = "__Host-console";
                cookie.Cookie.Path = "/";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.Always;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.ExpireTimeSpan = settings.SessionIdleTimeout;
                cookie.SlidingExpiration = true;
                cookie.Events.OnValidatePrincipal = context => context.HttpContext.RequestServices.GetRequiredService<TokenRefresher>().ValidateAsync(context);
            })
            .AddOpenIdConnect(oidc =>
            {
                oidc.Authority = settings.PublicUrl;
                oidc.ClientId = settings.ClientId;
                oidc.ClientSecret = settings.ClientSecret;
                oidc.ResponseType = OpenIdConnectResponseType.Code;
                // Query, not form_post: form_post needs an auto-submitting script, which the pages' CSP (and a browser
                // without JavaScript) would stop.
                oidc.ResponseMode = OpenIdConnectResponseMode.Query;
                oidc.UsePkce = true;
                oidc.SaveTokens = true;
                oidc.MapInboundClaims = false;
                oidc.GetClaimsFromUserInfoEndpoint = false;
                oidc.CallbackPath = CallbackPath;
                oidc.Scope.Clear();
                foreach (var scope in ConsoleOptions.Scopes) oidc.Scope.Add(scope);
                oidc.TokenValidationParameters.NameClaimType = "email";
                oidc.CorrelationCookie.Name = "__Host-console-correlation.";
                oidc.CorrelationCookie.Path = "/";
                oidc.CorrelationCookie.SecurePolicy = CookieSecurePolicy.Always;
                oidc.CorrelationCookie.SameSite = SameSiteMode.Lax;
                oidc.NonceCookie.Name = "__Host-console-nonce.";
                oidc.NonceCookie.Path = "/";
                oidc.NonceCookie.SecurePolicy = CookieSecurePolicy.Always;
                oidc.NonceCookie.SameSite = SameSiteMode.Lax;
                oidc.Events.OnRedirectToIdentityProvider = context =>
                {
                    // Behind the gateway the request is plain HTTP to the console: the redirect URI is the public one.
                    var options = context.HttpContext.RequestServices.GetRequiredService<IOptions<ConsoleOptions>>().Value;
                    context.ProtocolMessage.RedirectUri = new Uri(options.PublicUri, CallbackPath.TrimStart('/')).ToString();
                    // A form sent after the session ended: back to the form's page after the sign-in (a browser
                    // returns with a GET, which the form's own address may not answer). What was typed is not kept.
                    if (!HttpMethods.IsGet(context.Request.Method) && !HttpMethods.IsHead(context.Request.Method))
                    {
                        context.Properties.RedirectUri = Guard.PageOf(context.Request.Path);
                    }

                    if (context.Properties.Items.TryGetValue(OrganizationItem, out var organization) && organization is not null)
                    {
                        context.ProtocolMessage.SetParameter(OrganizationItem, organization);
                    }

                    return Task.CompletedTask;
                };
                oidc.Events.OnRemoteFailure = async context =>
                {
                    // Identity refused (e.g. access_denied: not a member of the organization asked for), or the
                    // callback was forged or replayed. The earlier session, if any, stays as it was.
                    context.HandleResponse();
                    var denied = context.Failure?.Message.Contains("access_denied", StringComparison.Ordinal) == true;
                    await Layout.Standalone(context.HttpContext,
                        denied ? "Access refused" : "Sign-in failed",
                        denied
                            ? """<p id="refusal">You are not a member of that organization, or you declined. Nothing of it is shown.</p><p><a href="/console/">Back to the console</a></p>"""
                            : """<p id="refusal">The sign-in could not be completed. <a href="/console/">Try again</a>.</p>""",
                        denied ? 403 : 400).ExecuteAsync(context.HttpContext);
                };
            });

        // The OIDC handler's back channel (discovery, JWKS, token endpoint) goes to the gateway like the console's API calls.
        builder.Services.AddOptions<OpenIdConnectOptions>(OpenIdConnectDefaults.AuthenticationScheme)
            .Configure<IHttpClientFactory>((oidc, clients) => oidc.Backchannel = clients.CreateClient(PlatformHttp.Name));
    }
}
