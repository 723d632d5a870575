using Microsoft.Extensions.Options;

namespace Platform.Gateway.Auditing;

internal static class AuditingExtensions
{
    /// <summary>
    /// Audit events go out through the event bus, but RabbitMQ is not part of the gateway's readiness: while it is
    /// down the gateway keeps serving and spools (SPEC GW-AUDIT), so taking it out of rotation would be wrong.
    /// </summary>
    public static IHostApplicationBuilder AddGatewayAuditing(this IHostApplicationBuilder builder)
    {
        builder.AddRabbitMQClient(
            "messaging",
            settings => settings.DisableHealthChecks = true,
            factory => factory.ClientProvidedName = "gateway");
        builder.AddEventBus("messaging", "gateway");
        builder.Services.AddOptions<AuditOptions>()
            .BindConfiguration(AuditOptions.SectionName)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>();
        builder.Services.AddSingleton<AuditSpool>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<AuditSpool>());
        return builder;
    }
}
