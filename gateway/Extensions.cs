using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Platform.Gateway.Auditing;
using Platform.Gateway.Errors;
using Platform.Gateway.Hardening;
using Platform.Gateway.RequestIds;
using Platform.Gateway.Tls;

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

        builder.Services.AddReverseProxy()
            .LoadFromConfig(builder.Configuration.GetSection("ReverseProxy"));
    }

    public static WebApplication UseGatewayPipeline(this WebApplication app)
    {
        // First, so that every answer — refusals included — carries a request id and is audited.
        app.UseMiddleware<RequestIdMiddleware>();
        app.UseMiddleware<AuditMiddleware>();
        app.UseSecurityHeaders();
        app.UseExceptionHandler();
        // Unmatched routes and bare error statuses become RFC 9457 problem details.
        app.UseStatusCodePages();
        app.UseListenerIsolation(app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.InternalPort);
        return app;
    }

    /// <summary>The host pattern that confines the health endpoints to the internal listener.</summary>
    public static string InternalListenerHost(this WebApplication app) =>
        $"*:{app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value.InternalPort}";
}
