using Npgsql;
using Platform.Audit.Apis;
using Platform.Audit.Checkpoints;
using Platform.Audit.Data;
using Platform.Audit.Events;
using Platform.Audit.Log;
using Platform.Audit.Security;
using Platform.Messaging;
using Platform.ServiceDefaults.Authentication;

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
            .ValidateDataAnnotations()
            .Validate(o => o.Readers.All(r => r.Organizations.Count > 0), "Every Audit:Readers entry needs Organizations (ids, or \"*\").")
            .Validate(o => o.Readers.Select((r, index) => { var errors = new List<string>(); OperatorNetworks.Parse(r.Networks, $"Audit:Readers:{index}", errors); return errors.Count; }).Sum() == 0,
                "Every Audit:Readers:N:Networks entry must be a CIDR range without host bits (e.g. 10.0.0.0/8).")
            .ValidateOnStart();
        builder.Services.AddSingleton<IOperatorCredentialSource, AuditReaderCredentials>();
        builder.Services.AddSingleton<ISecurityAudit, StoreSecurityAudit>();
        builder.AddPlatformAuthentication().AddAuditPolicies();
        builder.Services.AddSingleton<AuditStore>();
        builder.Services.AddSingleton<LogAppender>();
        builder.Services.AddSingleton<LogStore>();
        builder.Services.AddSingleton<LogVerifier>();
        builder.Services.AddOptions<CheckpointOptions>()
            .Bind(builder.Configuration.GetSection(CheckpointOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.PreviousVerifierKeys.All(k => NoteSigner.ParseVerifierKey(k) is not null), "Every Audit:Checkpoints:PreviousVerifierKeys entry must be an Ed25519 verifier key 'name+hash+base64'.")
            .ValidateOnStart();
        builder.Services.AddSingleton<NoteSigner>();
        builder.Services.AddSingleton<CheckpointPublisher>();
        builder.Services.AddHostedService(services => services.GetRequiredService<CheckpointPublisher>());
        builder.AddSchemaMigrations(AuditSchema.Definition, MessagingSchema.Definition);

        builder.AddEventBus("messaging", "audit")
            .WithInbox()
            .AddBatchSubscription<AuditRecorded, AuditRecordedHandler>(maxBatchSize: 1000)
            // The gateway's one-per-request events come in batches; a few batches make one insert.
            .AddBatchSubscription<AuditBatchRecorded, AuditBatchRecordedHandler>(maxBatchSize: 10);
        return builder;
    }
}
