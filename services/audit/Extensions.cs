using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Audit.Apis;
using Platform.Audit.Checkpoints;
using Platform.Audit.Data;
using Platform.Audit.Events;
using Platform.Audit.Export;
using Platform.Audit.Log;
using Platform.Audit.Security;
using Platform.Audit.Retention;
using Platform.Audit.Siem;
using Platform.Messaging;
using Platform.Security.Authentication;

namespace Platform.Audit;

internal static class Extensions
{
    public static IHostApplicationBuilder AddAuditServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("auditdb");
        builder.RequireConnectionString<NpgsqlDataSource>("auditdb");
        builder.Services.AddProblemDetails();
        builder.Services.AddOptions<AuditOptions>()
            .Bind(builder.Configuration.GetSection(AuditOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<AuditOptions>, AuditOptionsValidator>();
        builder.Services.AddSingleton<IOperatorCredentialSource, AuditReaderCredentials>();
        builder.Services.AddSingleton<ISecurityAudit, StoreSecurityAudit>();
        // Customers' identity access tokens, validated here; the client address the gateway reports is believed when signed.
        builder.AddAccessTokenValidation<AuditIdentityOptions>(AuditIdentityOptions.SectionName);
        builder.AddGatewaySignatureVerification();
        builder.AddPlatformAuthentication().AddAuditPolicies();
        builder.Services.AddSingleton<AuditStore>();
        builder.Services.AddSingleton<LogAppender>();
        builder.Services.AddSingleton<LogStore>();
        builder.Services.AddSingleton<LogVerifier>();
        builder.Services.AddSingleton<AuditExporter>();
        builder.Services.AddSingleton<AuditBundler>();
        builder.Services.AddOptions<CheckpointOptions>()
            .Bind(builder.Configuration.GetSection(CheckpointOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<CheckpointOptions>, CheckpointOptionsValidator>();
        builder.Services.AddSingleton<NoteSigner>();
        builder.Services.AddSingleton<CheckpointPublisher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CheckpointPublisher>());
        builder.Services.AddOptions<SiemOptions>()
            .Bind(builder.Configuration.GetSection(SiemOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SiemOptions>, SiemOptionsValidator>();
        builder.Services.AddSingleton<SiemStore>();
        builder.Services.AddSingleton<SyslogTlsSender>();
        builder.Services.AddSingleton<TokenSealer>();
        builder.Services.AddSingleton<HecSender>();
        builder.Services.AddSingleton<SiemDelivery>();
        builder.Services.AddHostedService(services => services.GetRequiredService<SiemDelivery>());
        builder.Services.AddOptions<RetentionOptions>()
            .Bind(builder.Configuration.GetSection(RetentionOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();
        builder.Services.AddSingleton<RetentionStore>();
        builder.Services.AddSingleton<AuditPruner>();
        builder.Services.AddHostedService(services => services.GetRequiredService<AuditPruner>());
        builder.AddSchemaMigrations(AuditSchema.Definition, MessagingSchema.Definition);

        // The outbox carries the answers to data-subject requests (SPEC RET-DSAR) and purges back to retention.
        builder.AddEventBus("messaging", "audit").AddOutbox()
            .WithInbox()
            .AddSubscription<Platform.Messaging.Contracts.SubjectExportRequested, SubjectRequests.SubjectExportHandler>()
            .AddSubscription<Platform.Messaging.Contracts.SubjectErasureRequested, SubjectRequests.SubjectErasureHandler>()
            // Retention's purges of the audit_log and request_log classes (SPEC RET-PURGE), answered with what went.
            .AddSubscription<Platform.Messaging.Contracts.PurgeRequested, LogPurgeHandler>()
            .AddBatchSubscription<AuditRecorded, AuditRecordedHandler>(maxBatchSize: 1000)
            // The gateway's one-per-request events come in batches; a few batches make one insert.
            .AddBatchSubscription<AuditBatchRecorded, AuditBatchRecordedHandler>(maxBatchSize: 10);
        return builder;
    }
}
