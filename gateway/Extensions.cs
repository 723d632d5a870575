using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Microsoft.AspNetCore.Authentication;
using Platform.Gateway.ApiKeys;
using Platform.Gateway.Auditing;
using Platform.Gateway.Authentication;
using Platform.Gateway.Authorization;
using Platform.Gateway.ClientAddresses;
using Platform.Gateway.Errors;
using Platform.Gateway.Hardening;
using Platform.Gateway.Organizations;
using Platform.Gateway.RateLimiting;
using Platform.Gateway.RequestIds;
using Platform.Gateway.Residency;
using Platform.Gateway.Tls;
using Platform.Gateway.Upstreams;
using Platform.Gateway.UserTokens;

namespace Platform.Gateway;

internal static class Extensions
{
    public static void AddGatewayServices(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GatewayOptions>()
            .BindConfiguration(GatewayOptions.SectionName)
            .ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<GatewayOptions>, GatewayOptionsValidator>());

        builder.Services.AddSingleton<ServerCertificateStore>();
        builder.Services.AddSingleton<IConfigureOptions<KestrelServerOptions>, ListenerSetup>();

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<UnhandledExceptionHandler>();

        builder.AddGatewayAuditing();
        builder.AddGatewayApiKeys();
        builder.AddGatewayUserTokens();
        builder.AddGatewayRateLimits();
        // One scheme, which takes the request's one credential (a key or an access token) as HttpContext.User.
        builder.Services.AddAuthentication(PlatformPrincipal.Scheme)
            .AddScheme<AuthenticationSchemeOptions, PlatformAuthenticationHandler>(PlatformPrincipal.Scheme, null);
        builder.AddGatewayAuthorization();
        builder.AddUpstreamSigning();
        builder.AddGatewayRegionRouting();

        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"))
            // Before the upstream transforms, whose last step signs every X-Platform-* header, this one's too.
            .AddRegionTransforms()
            .AddUpstreamTransforms();
    }

    /// <remarks>Call once the configuration has passed <c>ValidateConfiguration</c>.</remarks>
    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        // The certificate is loaded (in development, made) now, so that an unusable one stops the start-up rather
        // than the first handshake, and only now, so that a start refused for its configuration leaves no file behind.
        app.Services.GetRequiredService<ServerCertificateStore>();
        // Rate limits are shared through Redis from the first request on; until it answers, each replica limits alone.
        _ = app.Services.GetRequiredService<EdgeRedis>().StartConnecting();

        // First, so that every answer — refusals included — carries a request id and is audited.
        app.UseMiddleware<RequestIdMiddleware>();
        // Before the audit, so that the trail records the client rather than a proxy in front.
        app.UseMiddleware<ClientAddressMiddleware>();
        app.UseMiddleware<AuditMiddleware>();
        app.UseSecurityHeaders();
        // Before anything that may write a body, so that a HEAD answer never carries one (HTTP/2 resets it).
        app.UseHeadWithoutBody();
        app.UseExceptionHandler();
        // Unmatched routes and bare error statuses become RFC 9457 problem details.
        app.UseStatusCodePages();
        app.UseListenerIsolation(app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.InternalPort);
        app.UseMiddleware<BodySizeLimitMiddleware>();
        // Throttled addresses are refused before their credentials are even read for the rule.
        app.UseMiddleware<AuthenticationFailureThrottle>();
        // One credential per request, decided from the headers before anything is verified.
        app.UseMiddleware<CredentialRuleMiddleware>();
        app.UsePlatformAuthentication();
        // Every public request is charged to its principal (or its address) before the route decides anything.
        app.UseMiddleware<RateLimitMiddleware>();
        // The route's requirements, then the allowlist of the principal's organization (one policy; AddGatewayAuthorization).
        app.UseAuthorization();
        return app;
    }

    /// <summary>The internal listener's port, to which the health endpoints are confined.</summary>
    public static int InternalPort(this WebApplication app) =>
        app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.InternalPort;
}
