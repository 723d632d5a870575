using Microsoft.Extensions.Configuration;
using Platform.AppHost;
using Platform.AppHost.Servers;
using Platform.AppHost.Supervision;

if (AppHostArguments.Parse(args, out var exitCode) is not { } aspireArgs) return exitCode;
var builder = DistributedApplication.CreateBuilder(aspireArgs);
builder.AddSupervision().RunProjectsInAppHostEnvironment().RunBuiltPrograms();

// Aspire's official containers where Docker or Podman answers (and in the manifest), else Debian's programs as processes.
var postgres = builder.AddPostgresServer("postgres");
var identityDb = postgres.AddDatabase("identitydb");
var keysDb = postgres.AddDatabase("keysdb");
// One storage database per region (StorageRegions): nothing a region stores is in another's database.
var regions = StorageRegions.For(builder.ExecutionContext);
var storageDbs = regions.ToDictionary(r => r.Id, r => postgres.AddDatabase(r.Database));
var retentionDb = postgres.AddDatabase("retentiondb");
var auditDb = postgres.AddDatabase("auditdb");
var residencyDb = postgres.AddDatabase("residencydb");

var redis = builder.AddRedisServer("redis");
var messaging = builder.AddRabbitMQServer("messaging");

// Operators read every organization's audit log with this credential, on direct calls to the audit service only.
var auditReaderToken = builder.AddGeneratedSecret("audit-reader-token", 40);
// Signs the audit logs' checkpoints (the Ed25519 seed is its SHA-256); rotate by listing the old verifier key (README).
var auditCheckpointKey = builder.AddGeneratedSecret("audit-checkpoint-key", 44);
// Seals the HEC tokens of SIEM destinations at rest (AES-256-GCM under a key derived from it).
var auditSiemTokenKey = builder.AddGeneratedSecret("audit-siem-token-key", 44);

var audit = builder.AddProject<Projects.Audit>("audit")
    .WithHttpEndpoint(name: "http")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(auditDb).WaitFor(auditDb)
    .WithReference(messaging).WaitFor(messaging)
    .WithEnvironment("Audit__Readers__0__Name", "operator")
    .WithEnvironment("Audit__Readers__0__Token", auditReaderToken)
    .WithEnvironment("Audit__Readers__0__Organizations__0", "*")
    .WithEnvironment("Audit__Checkpoints__SigningKey", auditCheckpointKey)
    .WithEnvironment("Audit__Siem__TokenKey", auditSiemTokenKey);

// The gateway's public HTTPS port: 8443, or --Platform:GatewayPort=N for a second copy on one machine (tests).
var gatewayPort = builder.Configuration.GetValue("Platform:GatewayPort", 8443);

// Identity's data key (TOTP secrets and signing keys at rest, base64 of 33 bytes). Its public address is the
// gateway's: tokens are issued for https://localhost:8443/, and the gateway (loopback) is its trusted proxy.
var publicAddress = $"https://localhost:{gatewayPort}/";
var identityDataKey = builder.AddGeneratedSecret("identity-data-key", 44);

var identity = builder.AddProject<Projects.Identity>("identity")
    .WithHttpEndpoint(name: "http")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(identityDb).WaitFor(identityDb)
    .WithReference(messaging).WaitFor(messaging)
    .WithEnvironment("Identity__Issuer", publicAddress)
    .WithEnvironment("Identity__DataKey", identityDataKey)
    .WithEnvironment("Identity__TrustedProxies__0", "127.0.0.1")
    .WithEnvironment("Identity__TrustedProxies__1", "::1");

// The credential operators use for storage's transit and key management APIs, in every region.
var storageServiceToken = builder.AddGeneratedSecret("storage-service-token", 40);

// The gateway signs the X-Platform-* headers it sends upstream with this key (base64 of 33 bytes); services that act
// on those headers check the signature, so nothing that reaches them past the gateway can pose as it.
var gatewaySigningKey = builder.AddGeneratedSecret("gateway-signing-key", 44);

// One storage deployment per region (SPEC RES-ENFORCE), each with its own database, blob root and root key (so its
// organization keys): nothing one region stores is readable with another's keys. The default region's also serves
// transit encryption (keys' secrets), as "storage" in service discovery.
var storages = regions.ToDictionary(r => r.Id, r => builder.AddRegionalStorage(r, storageDbs[r.Id], messaging, storageServiceToken, gatewaySigningKey));
var storage = storages[StorageRegions.Default];

// The keys service's HMAC pepper (base64 of 33 bytes), its first administrator and the gateway's credential.
var keysPepper = builder.AddGeneratedSecret("keys-pepper", 44);
var keysAdminToken = builder.AddGeneratedSecret("keys-admin-token", 40);
var keysGatewayToken = builder.AddGeneratedSecret("keys-gateway-token", 40);

var keys = builder.AddProject<Projects.Keys>("keys")
    .WithHttpEndpoint(name: "http")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(keysDb).WaitFor(keysDb)
    .WithReference(redis).WaitFor(redis)
    .WithReference(messaging).WaitFor(messaging)
    .WithEnvironment("Keys__Pepper", keysPepper)
    .WithEnvironment("Keys__Administrators__0__Name", "operator")
    .WithEnvironment("Keys__Administrators__0__Token", keysAdminToken)
    .WithEnvironment("Keys__Administrators__0__Organizations__0", "*")
    .WithEnvironment("Keys__ServiceTokens__0", keysGatewayToken)
    // The client address the gateway reports (X-Platform-Client-Address, audited) is believed only when signed.
    .WithEnvironment("GatewaySigning__Key", gatewaySigningKey)
    // Owners and Admins of an organization manage its keys with their identity access tokens, validated here too.
    .WithReference(identity)
    .WithEnvironment("Keys__Identity__Issuer", publicAddress)
    .WithEnvironment("Keys__Identity__JwksUrl", ReferenceExpression.Create($"{identity.GetEndpoint("http")}/.well-known/jwks"));

// Owners, Admins and Auditors read their own organization's audit log through the gateway with their identity access
// tokens, validated by the audit service too; the client address the gateway reports is believed only when signed.
audit
    .WithReference(identity)
    .WithEnvironment("Audit__Identity__Issuer", publicAddress)
    .WithEnvironment("Audit__Identity__JwksUrl", ReferenceExpression.Create($"{identity.GetEndpoint("http")}/.well-known/jwks"))
    .WithEnvironment("GatewaySigning__Key", gatewaySigningKey);

// Keys seals customers' secrets (SPEC KEY-SECRETS) with storage's transit API, as storage's "keys" caller, and reveals
// them only to its secret consumers; until services that use them exist, the operator is the one consumer.
var keysStorageToken = builder.AddGeneratedSecret("keys-storage-token", 40);
var keysSecretsConsumerToken = builder.AddGeneratedSecret("keys-secrets-consumer-token", 40);
foreach (var regional in storages.Values)
{
    regional
        .WithEnvironment("Storage__ServiceTokens__1__Name", "keys")
        .WithEnvironment("Storage__ServiceTokens__1__Token", keysStorageToken)
        .WithEnvironment("Storage__ServiceTokens__1__Organizations__0", "*");
}

keys
    .WithTransitStorage(storage)
    .WithEnvironment("Keys__Secrets__StorageToken", keysStorageToken)
    .WithEnvironment("Keys__Secrets__Consumers__0__Name", "operator")
    .WithEnvironment("Keys__Secrets__Consumers__0__Token", keysSecretsConsumerToken)
    .WithEnvironment("Keys__Secrets__Consumers__0__Organizations__0", "*");

// Retention (SPEC RET-POLICY, RET-HOLD): periods per organization and data class, legal holds. Its operator sets
// organizations' plans (identity has none yet); it asks storage, as storage's "retention" caller, whether a held dataset
// exists, and identity, with the caller's own token, whether a held user is a member.
var retentionOperatorToken = builder.AddGeneratedSecret("retention-operator-token", 40);
var retentionStorageToken = builder.AddGeneratedSecret("retention-storage-token", 40);
// Signs deletion receipts (the Ed25519 seed is its SHA-256).
var retentionReceiptKey = builder.AddGeneratedSecret("retention-receipt-key", 44);
foreach (var regional in storages.Values)
{
    regional
        .WithEnvironment("Storage__ServiceTokens__2__Name", "retention")
        .WithEnvironment("Storage__ServiceTokens__2__Token", retentionStorageToken)
        .WithEnvironment("Storage__ServiceTokens__2__Organizations__0", "*");
}

var retention = builder.AddProject<Projects.Retention>("retention")
    .WithHttpEndpoint(name: "http")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(retentionDb).WaitFor(retentionDb)
    .WithReference(messaging).WaitFor(messaging)
    .WithEnvironment("Retention__Operators__0__Name", "operator")
    .WithEnvironment("Retention__Operators__0__Token", retentionOperatorToken)
    .WithEnvironment("Retention__Operators__0__Organizations__0", "*")
    .WithEnvironment("Retention__StorageToken", retentionStorageToken)
    .WithEnvironment("Retention__Purge__SigningKey", retentionReceiptKey)
    // The client address the gateway reports (X-Platform-Client-Address, audited) is believed only when signed.
    .WithEnvironment("GatewaySigning__Key", gatewaySigningKey)
    // Asks the storage of a dataset's region (storage-<region>) whether a held dataset exists.
    .WithTransitStorage(storage)
    .WithReferences(storages.Values)
    .WithReference(identity)
    .WithEnvironment("Retention__Identity__Issuer", publicAddress)
    .WithEnvironment("Retention__Identity__JwksUrl", ReferenceExpression.Create($"{identity.GetEndpoint("http")}/.well-known/jwks"));
// Account closure (SPEC RET-CLOSE) completes when every region's storage, keys and identity have answered.
var closureParticipants = storages.Values.Select(s => s.Resource.Name).Append("keys").Append("identity").ToList();
for (var index = 0; index < closureParticipants.Count; index++) retention.WithEnvironment($"Retention__Closure__Participants__{index}", closureParticipants[index]);
// Backups of every database and blob root (SPEC RET-PURGE: deletion reaches them), locally into the state folder.
retention.WithLocalBackups(
    [identityDb, keysDb, .. storageDbs.Values, retentionDb, auditDb, residencyDb],
    regions.Select(r => (storages[r.Id], storageDbs[r.Id])),
    transitSealed: (keysDb, storageDbs[StorageRegions.Default]));

// Residency (SPEC RES-REGION, RES-PIN): the registry of regions and organizations' residency. It asks every region's
// storage, as storage's "residency" caller, what an organization holds there; the gateway reads residency with its token.
var residencyStorageToken = builder.AddGeneratedSecret("residency-storage-token", 40);
var residencyGatewayToken = builder.AddGeneratedSecret("residency-gateway-token", 40);
// Signs leak-scan reports (the Ed25519 seed is its SHA-256); operators scan any organization with their token, directly.
var residencyReportKey = builder.AddGeneratedSecret("residency-report-key", 44);
var residencyOperatorToken = builder.AddGeneratedSecret("residency-operator-token", 40);
foreach (var regional in storages.Values)
{
    regional
        .WithEnvironment("Storage__ServiceTokens__3__Name", "residency")
        .WithEnvironment("Storage__ServiceTokens__3__Token", residencyStorageToken)
        .WithEnvironment("Storage__ServiceTokens__3__Organizations__0", "*");
}

var residency = builder.AddProject<Projects.Residency>("residency")
    .WithHttpEndpoint(name: "http")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(residencyDb).WaitFor(residencyDb)
    .WithReference(messaging).WaitFor(messaging)
    .WithRegionRegistry(regions, storages)
    .WithEnvironment("Residency__StorageToken", residencyStorageToken)
    .WithEnvironment("Residency__ServiceTokens__0", residencyGatewayToken)
    .WithEnvironment("Residency__Reports__SigningKey", residencyReportKey)
    .WithEnvironment("Residency__Operators__0__Name", "operator")
    .WithEnvironment("Residency__Operators__0__Token", residencyOperatorToken)
    .WithEnvironment("Residency__Operators__0__Organizations__0", "*")
    // Tells every gateway replica of a residency change at once (pub/sub), as keys does for key changes.
    .WithReference(redis)
    .WithEnvironment("GatewaySigning__Key", gatewaySigningKey)
    .WithReference(identity)
    .WithEnvironment("Residency__Identity__Issuer", publicAddress)
    .WithEnvironment("Residency__Identity__JwksUrl", ReferenceExpression.Create($"{identity.GetEndpoint("http")}/.well-known/jwks"));

// The security console (issue 19): a first-party OpenID Connect client of identity behind the gateway at /console/, calling
// the public APIs through the gateway with the signed-in user's token. Identity registers it at start-up.
var consoleClientSecret = builder.AddGeneratedSecret("console-client-secret", 40);
var consoleDataKey = builder.AddGeneratedSecret("console-data-key", 44);
// The console signs the browser's address on its API calls with this key, which only it and the gateway hold: the
// gateway then applies an organization's IP allowlist to the person, not to the console's own address.
var consoleForwardingKey = builder.AddGeneratedSecret("console-forwarding-key", 44);
identity
    .WithEnvironment("Identity__FirstPartyClients__0__ClientId", "platform-console")
    .WithEnvironment("Identity__FirstPartyClients__0__DisplayName", "Platform console")
    .WithEnvironment("Identity__FirstPartyClients__0__ClientSecret", consoleClientSecret)
    .WithEnvironment("Identity__FirstPartyClients__0__RedirectUris__0", $"{publicAddress}console/signin-oidc")
    .WithEnvironment("Identity__FirstPartyClients__0__PostLogoutRedirectUris__0", $"{publicAddress}console/signed-out");
var console = builder.AddProject<Projects.SecurityConsole>("console")
    .WithHttpEndpoint(name: "http")
    .WithHttpHealthCheck("/health", endpointName: "http")
    .WithReference(redis).WaitFor(redis)
    .WithEnvironment("Console__PublicUrl", publicAddress)
    .WithEnvironment("Console__ClientId", "platform-console")
    .WithEnvironment("Console__ClientSecret", consoleClientSecret)
    .WithEnvironment("Console__DataKey", consoleDataKey)
    .WithEnvironment("Console__ForwardingKey", consoleForwardingKey)
    .WithEnvironment("GatewaySigning__Key", gatewaySigningKey)
    .WithGatewayCertificateTrust();

builder.AddProject<Projects.Gateway>("gateway")
    // Not behind DCP's proxy: the gateway must see each client's own address (IP allowlists, rate limits).
    .WithHttpsEndpoint(port: gatewayPort, targetPort: gatewayPort, name: "https", env: "Gateway__HttpsPort", isProxied: false)
    .WithHttpEndpoint(targetPort: builder.ExecutionContext.IsPublishMode ? 8081 : null, name: "internal", env: "Gateway__InternalPort")
    .WithExternalHttpEndpoints()
    .WithHttpHealthCheck("/health", endpointName: "internal")
    .WithLocalDevelopmentCertificate()
    .WithLocalAuditSpool()
    // No WaitFor: the gateway serves through Redis and RabbitMQ outages (local limits, the audit spool), so it also
    // starts, or is started again after a crash, while either is down.
    .WithReference(redis)
    .WithReference(messaging)
    .WithReference(audit)
    .WithEnvironment("ReverseProxy__Clusters__audit__Destinations__primary__Address", audit.GetEndpoint("http"))
    .WithReference(keys)
    .WithEnvironment("ReverseProxy__Clusters__keys__Destinations__primary__Address", keys.GetEndpoint("http"))
    .WithReference(identity)
    .WithEnvironment("ReverseProxy__Clusters__identity__Destinations__primary__Address", identity.GetEndpoint("http"))
    // Dataset requests go to their region's storage (GW-ROUTE): one destination per region, chosen per request.
    .WithRegionalStorageRoutes(storages)
    .WithReference(residency)
    .WithEnvironment("ReverseProxy__Clusters__residency__Destinations__primary__Address", residency.GetEndpoint("http"))
    .WithEnvironment("Gateway__Residency__Url", residency.GetEndpoint("http"))
    .WithEnvironment("Gateway__Residency__ServiceToken", residencyGatewayToken)
    .WithReference(retention)
    .WithEnvironment("ReverseProxy__Clusters__retention__Destinations__primary__Address", retention.GetEndpoint("http"))
    .WithReference(console)
    .WithEnvironment("ReverseProxy__Clusters__console__Destinations__primary__Address", console.GetEndpoint("http"))
    .WithEnvironment("Gateway__Keys__Url", keys.GetEndpoint("http"))
    .WithEnvironment("Gateway__Keys__ServiceToken", keysGatewayToken)
    // Access tokens from identity are validated at the gateway from identity's signing keys.
    .WithEnvironment("Gateway__Identity__Issuer", publicAddress)
    .WithEnvironment("Gateway__Identity__JwksUrl", ReferenceExpression.Create($"{identity.GetEndpoint("http")}/.well-known/jwks"))
    .WithEnvironment("Gateway__UpstreamSigning__Key", gatewaySigningKey)
    .WithEnvironment("Gateway__ConsoleForwarding__Key", consoleForwardingKey)
    .WithReplicas(1);

try
{
    builder.KeepOnlyRequested();
    builder.Build().Run();
}
catch (Exception e) when (e.GetBaseException() is DistributedApplicationException cause)
{
    // A check before anything starts failed (a taken port, a package that cannot be installed): the cause, not a stack trace.
    Console.Error.WriteLine($"error: {cause.Message}");
    return 1;
}

// The supervisor sets 1 when a server could not start; returning a constant here would hide it.
return Environment.ExitCode;

// Internal, so that test projects that also see a service's Program (WebApplicationFactory<Program>) are not confused.
internal partial class Program;
