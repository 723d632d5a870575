using System.Text.Json.Serialization;
using Microsoft.Extensions.Http.Resilience;
using Microsoft.Extensions.Options;
using Npgsql;
using Platform.Messaging;
using Platform.Residency.Apis;
using Platform.Residency.Data;
using Platform.Residency.Regions;
using Platform.Residency.Scans;
using Platform.Residency.Events;
using Platform.Residency.Security;
using Platform.Security.Authentication;

namespace Platform.Residency;

internal static class Extensions
{
    public static IHostApplicationBuilder AddResidencyServices(this IHostApplicationBuilder builder)
    {
        builder.AddNpgsqlDataSource("residencydb");
        builder.RequireConnectionString<NpgsqlDataSource>("residencydb");

        builder.Services.AddOptions<ResidencyOptions>()
            .Bind(builder.Configuration.GetSection(ResidencyOptions.Section))
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ResidencyOptions>, ResidencyOptionsValidator>();

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

        builder.AddAccessTokenValidation<ResidencyIdentityOptions>(ResidencyIdentityOptions.SectionName);
        builder.AddGatewaySignatureVerification();
        builder.Services.AddSingleton<IOperatorCredentialSource, ResidencyCredentials>();
        builder.Services.AddSingleton<ISecurityAudit, OutboxSecurityAudit>();
        builder.AddPlatformAuthentication().AddResidencyPolicies();

        builder.Services.AddSingleton<RegionRegistry>();
        builder.Services.AddSingleton<ResidencyStore>();
        builder.Services.AddSingleton<ResidencyManager>();
        builder.Services.AddSingleton<StorageHoldings>();
        builder.Services.AddSingleton<StorageFences>();
        builder.Services.AddSingleton<ResidencyInvalidations>();
        builder.Services.AddSingleton<Inventories>();
        builder.Services.AddSingleton<LeakScanner>();
        builder.Services.AddSingleton<ReportSigner>();
        builder.Services.AddHttpClient(StorageHoldings.Client);
        // An inventory hashes every file of the organization in its region: minutes for a large one. Not retried, and
        // without the default resilience pipeline's 10 s attempt limit.
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is marked experimental; it is the documented way to opt one client out.
        builder.Services.AddHttpClient(Inventories.Client, client => client.Timeout = TimeSpan.FromMinutes(15)).RemoveAllResilienceHandlers();
#pragma warning restore EXTEXP0001
        // An Owner waits on the check: a short retry on a blip, then a 503, rather than the default half a minute.
        builder.Services.Configure<HttpStandardResilienceOptions>($"{StorageHoldings.Client}-standard", resilience =>
        {
            resilience.Retry.MaxRetryAttempts = 2;
            resilience.Retry.Delay = TimeSpan.FromMilliseconds(200);
            resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(5);
            resilience.TotalRequestTimeout.Timeout = TimeSpan.FromSeconds(12);
            resilience.CircuitBreaker.SamplingDuration = TimeSpan.FromSeconds(10);
        });

        // Gateways hear of residency changes on Redis pub/sub when the deployment gives residency a Redis connection.
        if (!string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString("redis"))) builder.AddRedisClient("redis");

        builder.AddSchemaMigrations(ResidencySchema.Definition, MessagingSchema.Definition);
        // Registered after the migrator, so the relay does not look for a missing table.
        builder.AddEventBus("messaging", "residency").AddOutbox();
        return builder;
    }
}
