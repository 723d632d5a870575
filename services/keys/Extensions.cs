using System.Text.Json.Serialization;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Keys.Apis;
using Platform.Keys.Data;
using Platform.Keys.Events;
using Platform.Keys.Lifecycle;
using Platform.Keys.Model;
using Platform.Keys.Organizations;
using Platform.Keys.Secrets;
using Platform.Keys.Security;
using Platform.Messaging;
using Platform.Security.Authentication;
using StackExchange.Redis;

namespace Platform.Keys;

internal static class Extensions
{
    public static IHostApplicationBuilder AddKeysServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("keysdb");
        builder.AddRedisClient("redis");
        builder.RequireConnectionString<NpgsqlDataSource>("keysdb");
        builder.RequireConnectionString<IConnectionMultiplexer>("redis");

        builder.Services.AddOptions<KeysOptions>()
            .Bind(builder.Configuration.GetSection(KeysOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<KeysOptions>, KeysOptionsValidator>();

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

        builder.AddAccessTokenValidation<KeysIdentityOptions>(KeysIdentityOptions.SectionName);
        builder.AddGatewaySignatureVerification();
        builder.Services.AddSingleton<IOperatorCredentialSource, KeysCredentials>();
        builder.Services.AddSingleton<ISecurityAudit, OutboxSecurityAudit>();
        builder.AddPlatformAuthentication().AddKeysPolicies();
        builder.Services.AddSingleton<KeyHasher>();
        builder.Services.AddSingleton<KeyStore>();
        builder.Services.AddSingleton<KeyVerifier>();
        builder.Services.AddSingleton<KeyManager>();
        builder.Services.AddSingleton<GatewayInvalidations>();
        builder.Services.AddSingleton<NetworkPolicyStore>();
        builder.Services.AddSingleton<NetworkPolicyManager>();
        builder.AddSchemaMigrations(KeysSchema.Definition, MessagingSchema.Definition);
        builder.AddKeySecrets();

        // Registered after the migrator, so the relay never looks for a missing outbox table.
        builder.AddEventBus("messaging", "keys").AddOutbox()
            .WithInbox()
            .AddSubscription<Platform.Messaging.Contracts.MemberDeprovisioned, MemberDeprovisionedHandler>()
            // Account closure (SPEC RET-CLOSE): read-only while closing, keys, secrets and network policy deleted after.
            .AddSubscription<Platform.Messaging.Contracts.ClosureRequested, Platform.Security.Closure.ClosureRequestedHandler>()
            .AddSubscription<Platform.Messaging.Contracts.ClosureCancelled, Platform.Security.Closure.ClosureRequestedHandler>()
            .AddSubscription<Platform.Messaging.Contracts.ClosureDue, Closure.ClosureDueHandler>()
            // Data-subject requests (SPEC RET-DSAR): the keys a person created, in an archive or erased.
            .AddSubscription<Platform.Messaging.Contracts.SubjectExportRequested, SubjectRequests.SubjectExportHandler>()
            .AddSubscription<Platform.Messaging.Contracts.SubjectErasureRequested, SubjectRequests.SubjectErasureHandler>();
        return builder;
    }
}
