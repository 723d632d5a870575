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
            .Validate(o => !string.IsNullOrWhiteSpace(o.SpoolDirectory), "Gateway:Audit:SpoolDirectory is required: audit events are spooled there while RabbitMQ is unreachable.")
            .Validate(o => o.MaxSegmentBytes >= 64 * 1024, "Gateway:Audit:MaxSegmentBytes must be at least 65536.")
            .Validate(o => o.PublishBatchSize is >= 1 and <= 5000, "Gateway:Audit:PublishBatchSize must be between 1 and 5000.")
            .Validate(o => o.EventsPerMessage is >= 1 and <= 1000, "Gateway:Audit:EventsPerMessage must be between 1 and 1000.")
            .Validate(o => o.PublishLinger >= TimeSpan.Zero && o.PublishLinger <= TimeSpan.FromSeconds(5), "Gateway:Audit:PublishLinger must be between 0 and 5 seconds.")
            .Validate(o => o.SyncInterval > TimeSpan.Zero && o.SyncInterval <= TimeSpan.FromSeconds(10), "Gateway:Audit:SyncInterval must be between 0 and 10 seconds.")
            .ValidateOnStart();
        builder.Services.AddSingleton<AuditSpool>();
        builder.Services.AddHostedService(provider => provider.GetRequiredService<AuditSpool>());
        return builder;
    }
}
