using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Security.Authentication;
using Platform.Storage.Apis;
using Platform.Storage.Blobs;
using Platform.Storage.Data;
using Platform.Storage.Events;
using Platform.Storage.Keys;
using Platform.Storage.Objects;
using Platform.Storage.Security;

namespace Platform.Storage;

internal static class Extensions
{
    public static IHostApplicationBuilder AddStorageServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("storagedb");
        builder.RequireConnectionString<NpgsqlDataSource>("storagedb");

        builder.Services.AddOptions<StorageOptions>()
            .Bind(builder.Configuration.GetSection(StorageOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<StorageOptions>, StorageOptionsValidator>();

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

        builder.Services.AddSingleton<IRootKeyProvider>(services =>
        {
            var root = services.GetRequiredService<IOptions<StorageOptions>>().Value.RootKey;
            return root.Provider == "Pkcs11" ? new Pkcs11RootKeyProvider(root.Pkcs11) : new KeyFileRootKeyProvider(root);
        });
        builder.AddGatewaySignatureVerification();
        builder.Services.AddSingleton<IOperatorCredentialSource, ServiceTokenCredentials>();
        builder.Services.AddSingleton<ISecurityAudit, OutboxSecurityAudit>();
        builder.AddPlatformAuthentication().AddStoragePolicies();
        builder.Services.AddSingleton<FileSystemBlobStore>();
        builder.Services.AddSingleton<IBlobStore>(services => services.GetRequiredService<FileSystemBlobStore>());
        builder.Services.AddSingleton<UploadsInFlight>();
        builder.Services.AddSingleton<OrganizationKeyRing>();
        builder.Services.AddSingleton<KeyAdministration>();
        builder.Services.AddSingleton<DataKeys>();
        builder.Services.AddSingleton<DataKeyRewrapper>();
        builder.Services.AddSingleton<RetiredKeyVersions>();
        builder.Services.AddSingleton<TransitCipher>();
        builder.Services.AddSingleton<TransitSeals>();
        builder.Services.AddSingleton<ObjectCatalog>();
        builder.Services.AddSingleton<Residency.RegionGuard>();
        builder.Services.AddSingleton<UploadCommitter>();
        builder.Services.AddHostedService(services => services.GetRequiredService<UploadCommitter>());
        builder.Services.AddSingleton<ObjectUploads>();
        builder.Services.AddSingleton<ObjectReads>();
        builder.AddSchemaMigrations(StorageSchema.Definition, MessagingSchema.Definition);

        // Registered after the migrator, so neither the relay nor key maintenance looks for a missing table.
        // A queue per region ("storage-eu"…): every region's storage sees each purge request and answers for what is pinned to it.
        builder.AddEventBus("messaging", QueueName(builder.Configuration)).AddOutbox()
            // Retention's purges (SPEC RET-PURGE): applied once each, in the inbox's transaction.
            .WithInbox()
            .AddSubscription<Platform.Messaging.Contracts.PurgeRequested, PurgeRequestedHandler>()
            // Account closure (SPEC RET-CLOSE): read-only while closing, everything deleted and the key destroyed after.
            .AddSubscription<Platform.Messaging.Contracts.ClosureRequested, Platform.Security.Closure.ClosureRequestedHandler>()
            .AddSubscription<Platform.Messaging.Contracts.ClosureCancelled, Platform.Security.Closure.ClosureRequestedHandler>()
            .AddSubscription<Platform.Messaging.Contracts.ClosureDue, Closure.ClosureDueHandler>()
            // Data-subject requests (SPEC RET-DSAR): what a person uploaded, in an archive or anonymised.
            .AddSubscription<Platform.Messaging.Contracts.SubjectExportRequested, SubjectRequests.SubjectExportHandler>()
            .AddSubscription<Platform.Messaging.Contracts.SubjectErasureRequested, SubjectRequests.SubjectErasureHandler>();
        builder.Services.AddSingleton<KeyMaintenanceService>();
        builder.Services.AddHostedService(services => services.GetRequiredService<KeyMaintenanceService>());
        builder.Services.AddSingleton<OrphanSweeper>();
        builder.Services.AddHostedService(services => services.GetRequiredService<OrphanSweeper>());
        return builder;
    }

    /// <summary>"storage" for the unnamed region of a single-region deployment, else "storage-&lt;region&gt;".</summary>
    internal static string QueueName(IConfiguration configuration) =>
        configuration[$"{StorageOptions.Section}:Region"] is { Length: > 0 } region && region != "local" ? $"storage-{region}" : "storage";
}
