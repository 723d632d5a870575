using Platform.Audit.Apis;
using Platform.Audit.Data;
using Platform.Audit.Events;
using Platform.Messaging;

namespace Platform.Audit;

internal static class Extensions
{
    public static IHostApplicationBuilder AddAuditServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("auditdb");
        builder.Services.AddProblemDetails();
        builder.Services.AddOptions<AuditOptions>()
            .Bind(builder.Configuration.GetSection(AuditOptions.Section))
            .ValidateDataAnnotations()
            .Validate(o => o.Readers.All(r => r.Organizations.Count > 0), "Every Audit:Readers entry needs Organizations (ids, or \"*\").")
            .ValidateOnStart();
        builder.Services.AddSingleton<AuditReaderAuthenticator>();
        builder.Services.AddSingleton<AuditStore>();
        builder.AddSchemaMigrations(AuditSchema.Definition, MessagingSchema.Definition);

        builder.AddEventBus("messaging", "audit")
            .WithInbox()
            .AddBatchSubscription<AuditRecorded, AuditRecordedHandler>(maxBatchSize: 1000)
            // The gateway's one-per-request events come in batches; a few batches make one insert.
            .AddBatchSubscription<AuditBatchRecorded, AuditBatchRecordedHandler>(maxBatchSize: 10);
        return builder;
    }
}
