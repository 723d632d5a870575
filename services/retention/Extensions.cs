using System.Text.Json.Serialization;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Retention.Apis;
using Platform.Retention.Backups;
using Platform.Retention.Closure;
using Platform.Retention.Data;
using Platform.Retention.Holds;
using Platform.Messaging.Contracts;
using Platform.Retention.Events;
using Platform.Retention.Policies;
using Platform.Retention.Purge;
using Platform.Retention.Security;
using Platform.Security.Authentication;

namespace Platform.Retention;

internal static class Extensions
{
    public static IHostApplicationBuilder AddRetentionServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("retentiondb");
        builder.RequireConnectionString<NpgsqlDataSource>("retentiondb");

        builder.Services.AddOptions<RetentionOptions>()
            .Bind(builder.Configuration.GetSection(RetentionOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<RetentionOptions>, RetentionOptionsValidator>();

        builder.Services.AddProblemDetails();
        builder.Services.AddExceptionHandler<UnhandledExceptionHandler>();
        builder.Services.ConfigureHttpJsonOptions(json =>
        {
            // A misspelt or missing field is an error, not a silent default.
            json.SerializerOptions.UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow;
            json.SerializerOptions.RespectNullableAnnotations = true;
            json.SerializerOptions.RespectRequiredConstructorParameters = true;
            json.SerializerOptions.Converters.Add(new UtcTimestampConverter());
        });

        builder.AddAccessTokenValidation<RetentionIdentityOptions>(RetentionIdentityOptions.SectionName);
        builder.AddGatewaySignatureVerification();
        builder.Services.AddSingleton<IOperatorCredentialSource, RetentionCredentials>();
        builder.Services.AddSingleton<ISecurityAudit, OutboxSecurityAudit>();
        builder.AddPlatformAuthentication().AddRetentionPolicies();

        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<PolicyManager>();
        builder.Services.AddSingleton<HoldStore>();
        builder.Services.AddSingleton<HoldManager>();
        builder.Services.AddSingleton<HoldTargets>();
        foreach (var service in new[] { HoldTargets.StorageClient, HoldTargets.IdentityClient })
        {
            builder.Services.AddHttpClient(service, http => http.BaseAddress = new Uri($"http://{service}"));
            // A person waits on every check: a short retry on a blip, then a 503, rather than the default half a minute.
            builder.Services.Configure<HttpStandardResilienceOptions>($"{service}-standard", resilience =>
            {
                resilience.Retry.MaxRetryAttempts = 2;
                resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(5);
                resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(12);
                resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
            });
        }

        builder.Services.AddOptions<PurgeOptions>()
            .Bind(builder.Configuration.GetSection(PurgeOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<PurgeOptions>, PurgeOptionsValidator>();
        builder.Services.AddSingleton<ReceiptSigner>();
        builder.Services.AddSingleton<PurgePass>();
        builder.Services.AddSingleton<PurgeSkips>();
        builder.Services.AddSingleton<LogPurges>();

        builder.Services.AddOptions<BackupOptions>()
            .Bind(builder.Configuration.GetSection(BackupOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<BackupOptions>, BackupOptionsValidator>();
        builder.Services.AddSingleton<BackupKeys>();
        builder.Services.AddSingleton<BackupWriter>();
        builder.Services.AddSingleton<BackupCatalog>();
        builder.Services.AddSingleton<BackupRestorer>();
        builder.Services.AddSingleton<BackupExpiryService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<BackupExpiryService>());
        builder.Services.AddOptions<ClosureOptions>()
            .Bind(builder.Configuration.GetSection(ClosureOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ClosureOptions>, ClosureOptionsValidator>();
        builder.Services.AddSingleton<ClosureManager>();
        builder.Services.AddSingleton<ClosurePass>();
        builder.Services.AddSingleton<Dsar.SubjectLookup>();
        builder.Services.AddSingleton<Dsar.SubjectRequestManager>();
        builder.Services.AddOptions<Dsar.SubjectRequestOptions>()
            .Bind(builder.Configuration.GetSection(Dsar.SubjectRequestOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<Dsar.SubjectRequestOptions>, Dsar.SubjectRequestOptionsValidator>();
        builder.Services.AddSingleton<Dsar.ArchiveSealer>();
        builder.Services.AddSingleton<Dsar.SubjectParts>();
        builder.Services.AddSingleton<Dsar.SubjectCompletion>();
        builder.Services.AddSingleton<Dsar.SubjectRequestPass>();

        builder.AddSchemaMigrations(RetentionSchema.Definition, MessagingSchema.Definition);
        // Registered after the migrator, so neither the relay nor the scheduler looks for a missing table.
        builder.AddEventBus("messaging", "retention").AddOutbox()
            .WithInbox()
            .AddSubscription<ObjectStored, ObjectStoredHandler>()
            .AddBatchSubscription<ObjectDeleted, ObjectDeletedHandler>(maxBatchSize: 500)
            .AddSubscription<ObjectProcessed, ObjectProcessedHandler>()
            .AddSubscription<DatasetDeleted, DatasetDeletedHandler>()
            .AddSubscription<PurgeCompleted, PurgeCompletedHandler>()
            .AddSubscription<ClosureAnswered, ClosureAnsweredHandler>()
            .AddSubscription<SubjectExportAnswered, Dsar.SubjectExportAnsweredHandler>()
            .AddSubscription<SubjectErasureAnswered, Dsar.SubjectErasureAnsweredHandler>();
        // One scheduler shape for the three passes: every Interval of the injected clock, a failure logged and retried.
        builder.Services.AddHostedService<PassScheduler<PurgePass>>();
        builder.Services.AddHostedService<PassScheduler<ClosurePass>>();
        builder.Services.AddHostedService<PassScheduler<Dsar.SubjectRequestPass>>();
        return builder;
    }
}
